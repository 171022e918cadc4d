#include "registry/client/auth.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::registry::client {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string Field(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Reader walks a header value.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void Skip() { ++pos_; }
  std::string Token() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsTokenChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  Result<std::string> Quoted() {
    std::string out;
    for (++pos_; pos_ < s_.size(); ++pos_) {
      if (s_[pos_] == '"') {
        ++pos_;
        return out;
      }
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_]);
    }
    return Fail(ErrorKind::kInvalidArgument, "unterminated quoted string");
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Credentials> DecodeRegistryAuth(std::string_view header) {
  Credentials credentials;
  if (TrimSpace(header).empty()) return credentials;
  Result<std::string> json_text = Base64UrlDecode(TrimSpace(header));
  if (!json_text) {
    return Fail(ErrorKind::kInvalidArgument, "invalid X-Registry-Auth header: not base64url");
  }
  nlohmann::json json = nlohmann::json::parse(*json_text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "invalid X-Registry-Auth header: not a JSON object");
  }
  credentials.username = Field(json, "username");
  credentials.password = Field(json, "password");
  credentials.identity_token = Field(json, "identitytoken");
  credentials.registry_token = Field(json, "registrytoken");
  credentials.server_address = Field(json, "serveraddress");
  // docker's legacy "auth" field: base64 of user:password.
  if (std::string auth = Field(json, "auth"); !auth.empty() && credentials.username.empty()) {
    Result<std::string> pair = Base64Decode(auth);
    const size_t colon = pair ? pair->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument, "invalid X-Registry-Auth header: bad auth field");
    }
    credentials.username = pair->substr(0, colon);
    credentials.password = pair->substr(colon + 1);
  }
  return credentials;
}

Result<Challenge> ParseChallenge(std::string_view header) {
  Reader r(header);
  r.SkipSpace();
  Challenge challenge{.scheme = Lower(r.Token()), .params = {}};
  if (challenge.scheme.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("parse WWW-Authenticate \"{}\": no scheme", header));
  }
  for (;;) {
    r.SkipSpace();
    if (r.AtEnd()) break;
    std::string name = Lower(r.Token());
    r.SkipSpace();
    if (name.empty() || r.AtEnd() || r.Peek() != '=') {
      // A next challenge ("..., Basic realm=x") starts here; only the first is read.
      if (!name.empty() && !challenge.params.empty()) break;
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("parse WWW-Authenticate \"{}\": expected name=value", header));
    }
    r.Skip();
    r.SkipSpace();
    std::string value;
    if (!r.AtEnd() && r.Peek() == '"') {
      BERTH_ASSIGN_OR_RETURN(
          value, Annotate(r.Quoted(), fmt::format("parse WWW-Authenticate \"{}\"", header)));
    } else {
      value = r.Token();
    }
    challenge.params[name] = value;
    r.SkipSpace();
    if (!r.AtEnd() && r.Peek() == ',') r.Skip();
  }
  return challenge;
}

Result<std::string> ParseTokenResponse(std::string_view json_text) {
  nlohmann::json json = nlohmann::json::parse(json_text, nullptr, false);
  if (!json.is_discarded() && json.is_object()) {
    for (const char* name : {"token", "access_token"}) {
      if (std::string token = Field(json, name); !token.empty()) return token;
    }
  }
  return Fail(ErrorKind::kUnauthenticated, "the token server's answer holds no token");
}

std::string BasicAuthorization(std::string_view username, std::string_view password) {
  return "Basic " + Base64Encode(fmt::format("{}:{}", username, password));
}

}  // namespace berth::registry::client
