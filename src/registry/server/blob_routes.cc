// The blob endpoints: GET and HEAD /v2/<name>/blobs/<digest> (with Range), DELETE.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "registry/server/parse.h"
#include "registry/server/registry.h"

namespace berth::registry::server {
namespace {

constexpr size_t kPiece = 256 << 10;

// SendRange writes bytes [range.first, range.last] of fd as the body begun.
Status SendRange(int fd, const ByteRange& range, http::ResponseWriter& w) {
  std::vector<char> buffer(kPiece);
  uint64_t offset = range.first;
  while (offset <= range.last) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kPiece, range.last - offset + 1));
    ssize_t n = pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0) return Fail(ErrnoNow("read blob"));
    if (n == 0) return Fail(ErrorKind::kDataLoss, "read blob: shorter than its size");
    BERTH_TRY(w.Write(std::string_view(buffer.data(), static_cast<size_t>(n))));
    offset += static_cast<uint64_t>(n);
  }
  return w.End();
}

}  // namespace

ApiStatus Registry::GetBlob(const std::string& repo, http::Request& r, http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(Digest digest, ParseBlobDigest(r.params["digest"]));
  ApiError unknown{Code::kBlobUnknown, "blob unknown to registry", {{"Digest", digest.String()}}};
  BERTH_API_ASSIGN_OR_RETURN(bool linked, catalog_.HasBlob(repo, digest));
  if (!linked) return tl::unexpected(unknown);
  Result<UniqueFd> fd = store_.Open(digest);
  if (!fd && fd.error().kind() == ErrorKind::kNotFound) return tl::unexpected(unknown);
  if (!fd) return tl::unexpected(LibraryError(fd.error()));
  BERTH_API_ASSIGN_OR_RETURN(image::content::Info info, store_.Stat(digest));
  uint64_t size = static_cast<uint64_t>(info.size);
  http::Headers headers = {{"Docker-Content-Digest", digest.String()},
                           {"ETag", "\"" + digest.String() + "\""},
                           {"Accept-Ranges", "bytes"},
                           {"Cache-Control", "max-age=31536000"}};
  ByteRange range{0, size - 1};
  int status = 200;
  if (std::optional<std::string> header = r.Header("Range")) {
    Result<ByteRange> wanted = ParseRange(*header, size);
    if (!wanted) {
      return tl::unexpected(ApiError{Code::kRangeInvalid,
                                     wanted.error().message(),
                                     nullptr,
                                     0,
                                     {{"Content-Range", "bytes */" + std::to_string(size)}}});
    }
    range = *wanted;
    status = 206;
    headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                              std::to_string(range.last) + "/" +
                                              std::to_string(size));
  }
  uint64_t length = size == 0 ? 0 : range.size();
  BERTH_API_TRY(w.BeginBody(status, "application/octet-stream", length, headers));
  if (length == 0 || r.method == "HEAD") return ToApi(w.End());
  return ToApi(SendRange(fd->get(), range, w));
}

ApiStatus Registry::DeleteBlob(const std::string& repo, http::Request& r, http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(Digest digest, ParseBlobDigest(r.params["digest"]));
  Status unlinked = catalog_.UnlinkBlob(repo, digest);
  if (!unlinked && unlinked.error().kind() == ErrorKind::kNotFound) {
    return ApiFail(Code::kBlobUnknown, "blob unknown to registry", {{"Digest", digest.String()}});
  }
  BERTH_API_TRY(unlinked);
  return ToApi(w.Send(202, "", "", {{"Docker-Content-Digest", digest.String()}}));
}

}  // namespace berth::registry::server
