// The pure parsing of the distribution API's requests: a manifest reference (a tag or a digest),
// PATCH's Content-Range, a blob GET's Range, and the n/last pagination of list endpoints.
// Thread-safe functions of values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "base/result.h"
#include "registry/server/errors.h"

namespace berth::registry::server {

// A manifest is addressed by a tag ("v1") or a digest ("sha256:<64 hex>").
struct ManifestRef {
  std::string tag;               // empty when digest is set
  std::optional<Digest> digest;  // set when the reference holds a ':'
};

// ParseManifestRef reads a reference: one with a ':' is a digest (DIGEST_INVALID when it is not
// a valid one), anything else a tag (TAG_INVALID when it is not a valid one).
ApiResult<ManifestRef> ParseManifestRef(std::string_view reference);

// ParseBlobDigest reads the digest of a blob path or query (DIGEST_INVALID when malformed).
ApiResult<Digest> ParseBlobDigest(std::string_view digest);

// An inclusive byte range.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }
};

// ParseContentRange reads a PATCH's Content-Range, "<first>-<last>" (a "bytes " or "bytes="
// prefix is accepted); kInvalidArgument when malformed or last < first.
Result<ByteRange> ParseContentRange(std::string_view value);

// ParseRange reads a GET's Range, "bytes=<first>-[<last>]" or "bytes=-<suffix length>", against a
// blob of size bytes: the range clipped to the blob. Malformed, several ranges, or no byte of the
// blob inside is kInvalidArgument (answered 416).
Result<ByteRange> ParseRange(std::string_view value, uint64_t size);

// The page a list endpoint returns: at most n entries after last.
struct Page {
  std::optional<uint64_t> n;  // no limit when absent
  std::string last;           // "" starts at the beginning
};

// ParsePage reads "n" and "last" (PAGINATION_NUMBER_INVALID when n is no non-negative number).
ApiResult<Page> ParsePage(std::optional<std::string> n, std::optional<std::string> last);

}  // namespace berth::registry::server
