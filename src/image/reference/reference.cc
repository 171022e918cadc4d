#include "image/reference/reference.h"

#include <algorithm>
#include <vector>

#include "base/strings.h"

namespace berth::image {
namespace {

constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kTagLengthMax = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return out;
}

tl::unexpected<Error> Invalid(std::string_view what) {
  return Fail(ErrorKind::kInvalidArgument, "invalid reference format: " + std::string(what));
}

// A path component is [a-z0-9]+ runs joined by one separator: ".", "_", "__" or "-"+.
bool IsPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && !IsLowerAlnum(s[i])) ++i;
    std::string_view sep = s.substr(start, i - start);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
  return true;
}

// A domain component is [a-zA-Z0-9] optionally with [a-zA-Z0-9-]* inside.
bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// A domain is a host (dotted domain components, or an IPv6 address in brackets) and an optional
// ":port".
bool IsDomain(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view address = s.substr(1, close - 1);
    if (!std::all_of(address.begin(), address.end(), [](char c) { return IsHex(c) || c == ':'; })) {
      return false;
    }
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    host = {};
    port = rest;
  } else if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon);
  }
  if (!port.empty()) {
    port.remove_prefix(1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), IsDigit)) return false;
  }
  if (host.empty()) return !s.empty() && s.front() == '[';
  for (const std::string& part : Split(host, '.')) {
    if (!IsDomainComponent(part)) return false;
  }
  return true;
}

bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > kTagLengthMax || !IsWordChar(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsWordChar(c) || c == '.' || c == '-'; });
}

bool IsIdentifier(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(),
                                       [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

// SplitDockerDomain splits off the domain when the first component names one, and applies docker's
// defaults (docker.io, library/ for a one-component name on docker.io).
void SplitDockerDomain(std::string_view name, std::string& domain, std::string& remainder) {
  size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash == std::string_view::npos ? 0 : slash);
  bool has_domain =
      slash != std::string_view::npos && (first.find_first_of(".:") != std::string_view::npos ||
                                          first == "localhost" || ToLower(first) != first);
  if (has_domain) {
    domain = std::string(first);
    remainder = std::string(name.substr(slash + 1));
  } else {
    domain = std::string(kDefaultDomain);
    remainder = std::string(name);
  }
  if (domain == kLegacyDefaultDomain) domain = std::string(kDefaultDomain);
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) {
    remainder = std::string(kOfficialRepoPrefix) + remainder;
  }
}

// ParseRemainder fills path, tag and digest from "path[:tag][@digest]".
Status ParseRemainder(std::string_view remainder, Reference& ref) {
  std::string_view name = remainder;
  if (size_t at = remainder.find('@'); at != std::string_view::npos) {
    std::string_view digest = remainder.substr(at + 1);
    auto parsed = Digest::Parse(digest);
    if (!parsed) return Invalid(parsed.error().message());
    ref.digest = std::move(*parsed);
    name = remainder.substr(0, at);
  }
  if (size_t colon = name.find(':'); colon != std::string_view::npos) {
    std::string_view tag = name.substr(colon + 1);
    if (!IsTag(tag)) {
      return Invalid("tag \"" + std::string(tag) +
                     "\" must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -");
    }
    ref.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.empty()) return Invalid("repository path is empty");
  for (const std::string& component : Split(name, '/')) {
    if (!IsPathComponent(component)) {
      return Invalid("path component \"" + component + "\" of repository name (" +
                     std::string(name) +
                     ") must be [a-z0-9]+ runs joined by \".\", \"_\", \"__\" or dashes");
    }
  }
  ref.path = std::string(name);
  return Ok();
}

}  // namespace

bool IsValidRepositoryPath(std::string_view path) {
  if (path.empty() || path.size() > kNameTotalLengthMax) return false;
  for (const std::string& component : Split(path, '/')) {
    if (!IsPathComponent(component)) return false;
  }
  return true;
}

bool IsValidTag(std::string_view tag) { return IsTag(tag); }

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::String() const {
  std::string out = Name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->String();
  return out;
}

std::string Reference::FamiliarString() const {
  std::string out;
  if (domain != kDefaultDomain) {
    out = Name();
  } else if (path.starts_with(kOfficialRepoPrefix) &&
             path.find('/', kOfficialRepoPrefix.size()) == std::string::npos) {
    out = path.substr(kOfficialRepoPrefix.size());
  } else {
    out = path;
  }
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->String();
  return out;
}

Result<Reference> ParseNormalizedNamed(std::string_view s) {
  if (s.empty()) return Invalid("reference is empty");
  if (IsIdentifier(s)) {
    return Fail(ErrorKind::kInvalidArgument, "invalid repository name (" + std::string(s) +
                                                 "), cannot specify 64-byte hexadecimal strings");
  }
  Reference ref;
  std::string remainder;
  SplitDockerDomain(s, ref.domain, remainder);
  std::string_view remote = std::string_view(remainder).substr(0, remainder.find(':'));
  if (ToLower(remote) != remote) {
    return Invalid("repository name (" + std::string(remote) + ") must be lowercase");
  }
  if (!IsDomain(ref.domain)) {
    return Invalid("domain (" + ref.domain + ") of \"" + std::string(s) +
                   "\" is not a host name, IPv6 address in brackets or either with a :port");
  }
  BERTH_TRY(ParseRemainder(remainder, ref));
  if (ref.Name().size() > kNameTotalLengthMax) {
    return Invalid("repository name (" + ref.Name() + ") must not be more than 255 characters");
  }
  return ref;
}

Result<Reference> ParseReference(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Reference ref, ParseNormalizedNamed(s));
  if (ref.tag.empty() && !ref.digest) ref.tag = std::string(kDefaultTag);
  return ref;
}

}  // namespace berth::image
