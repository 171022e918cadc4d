#include "registry/server/parse.h"

#include <algorithm>
#include <charconv>

#include "image/reference/reference.h"

namespace berth::registry::server {
namespace {

// ParseNumber reads a whole decimal number of s.
std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t value = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

tl::unexpected<Error> BadRange(std::string_view what, std::string_view value) {
  return Fail(ErrorKind::kInvalidArgument, std::string(what) + " \"" + std::string(value) + "\"");
}

}  // namespace

ApiResult<ManifestRef> ParseManifestRef(std::string_view reference) {
  if (reference.find(':') != std::string_view::npos) {
    ApiResult<Digest> digest = ParseBlobDigest(reference);
    if (!digest) return tl::unexpected(std::move(digest).error());
    return ManifestRef{.tag = "", .digest = std::move(*digest)};
  }
  if (!image::IsValidTag(reference)) {
    return tl::unexpected(
        ApiError{Code::kTagInvalid,
                 "manifest tag did not match the pattern [A-Za-z0-9_][A-Za-z0-9._-]{0,127}",
                 {{"Tag", reference}}});
  }
  return ManifestRef{.tag = std::string(reference), .digest = std::nullopt};
}

ApiResult<Digest> ParseBlobDigest(std::string_view digest) {
  Result<Digest> parsed = Digest::Parse(digest);
  if (!parsed) {
    return tl::unexpected(ApiError{
        Code::kDigestInvalid, "invalid digest: " + parsed.error().message(), {{"Digest", digest}}});
  }
  return *parsed;
}

Result<ByteRange> ParseContentRange(std::string_view value) {
  std::string_view rest = value;
  if (rest.starts_with("bytes ") || rest.starts_with("bytes=")) rest.remove_prefix(6);
  size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return BadRange("malformed Content-Range", value);
  std::optional<uint64_t> first = ParseNumber(rest.substr(0, dash));
  std::optional<uint64_t> last = ParseNumber(rest.substr(dash + 1));
  if (!first || !last || *last < *first) return BadRange("malformed Content-Range", value);
  return ByteRange{*first, *last};
}

Result<ByteRange> ParseRange(std::string_view value, uint64_t size) {
  if (!value.starts_with("bytes=")) return BadRange("malformed Range", value);
  std::string_view spec = value.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) {
    return BadRange("malformed or multiple Range", value);
  }
  std::string_view from = spec.substr(0, dash);
  std::string_view to = spec.substr(dash + 1);
  if (from.empty()) {
    std::optional<uint64_t> suffix = ParseNumber(to);
    if (!suffix || *suffix == 0 || size == 0) return BadRange("unsatisfiable Range", value);
    return ByteRange{size - std::min(*suffix, size), size - 1};
  }
  std::optional<uint64_t> first = ParseNumber(from);
  if (!first) return BadRange("malformed Range", value);
  std::optional<uint64_t> last = to.empty() ? std::optional<uint64_t>(UINT64_MAX) : ParseNumber(to);
  if (!last || *last < *first) return BadRange("malformed Range", value);
  if (*first >= size) return BadRange("unsatisfiable Range", value);
  return ByteRange{*first, std::min(*last, size - 1)};
}

ApiResult<Page> ParsePage(std::optional<std::string> n, std::optional<std::string> last) {
  Page page;
  if (n && !n->empty()) {
    page.n = ParseNumber(*n);
    if (!page.n) {
      return tl::unexpected(ApiError{
          Code::kPaginationNumberInvalid, "invalid number of results requested", {{"n", *n}}});
    }
  }
  page.last = last.value_or("");
  return page;
}

}  // namespace berth::registry::server
