// The upload endpoints: POST /v2/<name>/blobs/uploads/ (a new upload, a monolithic one with
// ?digest=, a cross-repository mount with ?mount=&from=), GET (status), PATCH (a chunk), PUT
// (?digest=, the last chunk and the end) and DELETE /v2/<name>/blobs/uploads/<uuid>.
#include <string>

#include "image/reference/reference.h"
#include "registry/server/parse.h"
#include "registry/server/registry.h"

namespace berth::registry::server {
namespace {

constexpr size_t kPiece = 256 << 10;

// UploadHeaders are the headers of a response about an upload in progress.
http::Headers UploadHeaders(const Upload& upload) {
  int64_t offset = upload.writer.offset();
  return {{"Location", "/v2/" + upload.repo + "/blobs/uploads/" + upload.id},
          {"Range", "0-" + std::to_string(offset > 0 ? offset - 1 : 0)},
          {"Docker-Upload-UUID", upload.id}};
}

// Append writes the request's body to the writer, checking it against a Content-Range when the
// request has one: the range must start where the upload is (416 otherwise) and its length must
// be the body's Content-Length when that is given.
ApiStatus Append(http::Request& r, Upload& upload) {
  std::optional<std::string> content_range = r.Header("Content-Range");
  std::optional<ByteRange> range;
  if (content_range) {
    Result<ByteRange> parsed = ParseContentRange(*content_range);
    if (!parsed) {
      return tl::unexpected(ApiError{Code::kRangeInvalid, parsed.error().message(), nullptr, 0,
                                     UploadHeaders(upload)});
    }
    range = *parsed;
    uint64_t offset = static_cast<uint64_t>(upload.writer.offset());
    if (range->first != offset) {
      return tl::unexpected(ApiError{Code::kRangeInvalid,
                                     "the chunk starts at " + std::to_string(range->first) +
                                         ", the upload is at " + std::to_string(offset),
                                     nullptr, 0, UploadHeaders(upload)});
    }
    std::optional<std::string> length = r.Header("Content-Length");
    if (length && *length != std::to_string(range->size())) {
      return tl::unexpected(
          ApiError{Code::kRangeInvalid,
                   "Content-Length " + *length + " does not match Content-Range " + *content_range,
                   nullptr, 0, UploadHeaders(upload)});
    }
  }
  std::string buffer(kPiece, '\0');
  while (true) {
    BERTH_API_ASSIGN_OR_RETURN(size_t n, r.body->Read(buffer.data(), buffer.size()));
    if (n == 0) return {};
    BERTH_API_TRY(upload.writer.Write(std::string_view(buffer.data(), n)));
  }
}

}  // namespace

ApiResult<std::shared_ptr<Upload>> Registry::FindUpload(const std::string& repo, http::Request& r) {
  const std::string& id = r.params["uuid"];
  std::shared_ptr<Upload> upload = uploads_.Find(id, repo);
  if (!upload) {
    return ApiFail(Code::kBlobUploadUnknown, "blob upload unknown to registry", {{"uuid", id}});
  }
  return upload;
}

ApiResult<bool> Registry::Mount(const std::string& repo, const std::string& from,
                                const Digest& digest) {
  if (!image::IsValidRepositoryPath(from)) return false;
  BERTH_API_ASSIGN_OR_RETURN(bool linked, catalog_.HasBlob(from, digest));
  if (!linked) return false;
  BERTH_API_ASSIGN_OR_RETURN(bool present, store_.Exists(digest));
  if (!present) return false;
  BERTH_API_TRY(catalog_.LinkBlob(repo, digest));
  return true;
}

ApiStatus Registry::Commit(const std::string& repo, image::content::Writer& writer,
                           const Digest& digest) {
  Status committed = writer.Commit(writer.offset(), digest);
  if (!committed && (committed.error().kind() == ErrorKind::kDataLoss ||
                     committed.error().kind() == ErrorKind::kInvalidArgument)) {
    return ApiFail(Code::kDigestInvalid, "provided digest did not match uploaded content",
                   {{"Digest", digest.String()}, {"Error", committed.error().message()}});
  }
  BERTH_API_TRY(committed);
  return ToApi(catalog_.LinkBlob(repo, digest));
}

ApiStatus Registry::BlobCreated(const std::string& repo, const Digest& digest,
                                http::ResponseWriter& w) {
  return ToApi(w.Send(201, "", "",
                      {{"Location", "/v2/" + repo + "/blobs/" + digest.String()},
                       {"Docker-Content-Digest", digest.String()}}));
}

ApiStatus Registry::StartUpload(const std::string& repo, http::Request& r,
                                http::ResponseWriter& w) {
  std::optional<std::string> mount = r.Query("mount");
  if (mount) {
    BERTH_API_ASSIGN_OR_RETURN(Digest digest, ParseBlobDigest(*mount));
    // Only from a repository the client may read; otherwise, or when not mountable, the client
    // gets an upload instead, as the spec says.
    const Scope source{"repository", r.Query("from").value_or(""), {"pull"}};
    if (Authorize(r, &source)) {
      BERTH_API_ASSIGN_OR_RETURN(bool mounted, Mount(repo, source.name, digest));
      if (mounted) return BlobCreated(repo, digest, w);
    }
  }
  if (std::optional<std::string> digest_text = r.Query("digest")) {
    BERTH_API_ASSIGN_OR_RETURN(Digest digest, ParseBlobDigest(*digest_text));
    BERTH_API_ASSIGN_OR_RETURN(image::content::Writer writer, store_.NewWriter());
    Upload upload("", repo, std::move(writer));
    BERTH_API_TRY(Append(r, upload));
    BERTH_API_TRY(Commit(repo, upload.writer, digest));
    return BlobCreated(repo, digest, w);
  }
  BERTH_API_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, uploads_.Start(store_, repo));
  return ToApi(w.Send(202, "", "", UploadHeaders(*upload)));
}

ApiStatus Registry::UploadStatus(const std::string& repo, http::Request& r,
                                 http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, FindUpload(repo, r));
  std::lock_guard lock(upload->mu);
  return ToApi(w.Send(204, "", "", UploadHeaders(*upload)));
}

ApiStatus Registry::PatchUpload(const std::string& repo, http::Request& r,
                                http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, FindUpload(repo, r));
  std::lock_guard lock(upload->mu);
  BERTH_API_TRY(Append(r, *upload));
  return ToApi(w.Send(202, "", "", UploadHeaders(*upload)));
}

ApiStatus Registry::FinishUpload(const std::string& repo, http::Request& r,
                                 http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, FindUpload(repo, r));
  std::lock_guard lock(upload->mu);
  std::optional<std::string> digest_text = r.Query("digest");
  if (!digest_text) return ApiFail(Code::kDigestInvalid, "no digest given to finish the upload");
  BERTH_API_ASSIGN_OR_RETURN(Digest digest, ParseBlobDigest(*digest_text));
  BERTH_API_TRY(Append(r, *upload));
  // Whatever the outcome, the upload is over: a wrong digest removed its bytes.
  uploads_.Remove(upload->id);
  BERTH_API_TRY(Commit(repo, upload->writer, digest));
  return BlobCreated(repo, digest, w);
}

ApiStatus Registry::CancelUpload(const std::string& repo, http::Request& r,
                                 http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(std::shared_ptr<Upload> upload, FindUpload(repo, r));
  uploads_.Remove(upload->id);
  return ToApi(w.Send(204, "", "", {{"Docker-Upload-UUID", upload->id}}));
}

}  // namespace berth::registry::server
