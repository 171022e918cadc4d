// The manifest endpoints: GET, HEAD, PUT and DELETE /v2/<name>/manifests/<tag or digest>.
#include <string>

#include "base/file.h"
#include "registry/server/manifest.h"
#include "registry/server/registry.h"

namespace berth::registry::server {
namespace {

ApiError ManifestUnknown(const ManifestRef& ref) {
  std::string what = ref.digest ? ref.digest->String() : ref.tag;
  return {Code::kManifestUnknown, "manifest unknown", {{"Reference", what}}};
}

}  // namespace

ApiStatus Registry::GetManifest(const std::string& repo, http::Request& r,
                                http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(ManifestRef ref, ParseManifestRef(r.params["reference"]));
  BERTH_API_ASSIGN_OR_RETURN(
      std::optional<ManifestRecord> record,
      ref.digest ? catalog_.FindManifest(repo, *ref.digest) : catalog_.ResolveTag(repo, ref.tag));
  if (!record) return tl::unexpected(ManifestUnknown(ref));
  Result<std::string> body = ReadFile(store_.BlobPath(record->digest));
  if (!body && body.error().kind() == ErrorKind::kNotFound) {
    return tl::unexpected(ManifestUnknown(ref));
  }
  BERTH_API_TRY(body);
  std::string digest = record->digest.String();
  return ToApi(w.Send(200, record->media_type, *body,
                      {{"Docker-Content-Digest", digest}, {"ETag", "\"" + digest + "\""}}));
}

ApiStatus Registry::CheckReferences(const std::string& repo, const std::vector<Digest>& blobs,
                                    const std::vector<Digest>& children) {
  for (const Digest& digest : blobs) {
    BERTH_API_ASSIGN_OR_RETURN(bool linked, catalog_.HasBlob(repo, digest));
    bool present = false;
    if (linked) {
      BERTH_API_ASSIGN_OR_RETURN(present, store_.Exists(digest));
    }
    if (!present) {
      return ApiFail(Code::kManifestBlobUnknown, "blob unknown to registry",
                     {{"Digest", digest.String()}});
    }
  }
  for (const Digest& digest : children) {
    BERTH_API_ASSIGN_OR_RETURN(std::optional<ManifestRecord> child,
                               catalog_.FindManifest(repo, digest));
    if (!child) {
      return ApiFail(Code::kManifestBlobUnknown, "manifest unknown to registry",
                     {{"Digest", digest.String()}});
    }
  }
  return {};
}

ApiStatus Registry::PutManifest(const std::string& repo, http::Request& r,
                                http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(ManifestRef ref, ParseManifestRef(r.params["reference"]));
  Result<std::string> body = r.ReadBody(kMaxManifestBytes);
  if (!body && body.error().kind() == ErrorKind::kInvalidArgument) {
    return ApiFail(Code::kSizeInvalid,
                   "manifest larger than " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  BERTH_API_TRY(body);
  BERTH_API_ASSIGN_OR_RETURN(ParsedManifest manifest,
                             ParseManifest(r.Header("Content-Type").value_or(""), *body));
  Digest digest = Digest::OfSha256(*body);
  if (ref.digest && *ref.digest != digest) {
    return ApiFail(Code::kDigestInvalid, "the manifest's digest does not match its reference",
                   {{"Reference", ref.digest->String()}, {"Digest", digest.String()}});
  }
  BERTH_API_TRY(CheckReferences(repo, manifest.blobs, manifest.children));
  BERTH_API_ASSIGN_OR_RETURN(image::content::Writer writer, store_.NewWriter());
  BERTH_API_TRY(writer.Write(*body));
  BERTH_API_TRY(writer.Commit(static_cast<int64_t>(body->size()), digest));
  std::vector<Digest> references = manifest.blobs;
  references.insert(references.end(), manifest.children.begin(), manifest.children.end());
  BERTH_API_TRY(catalog_.PutManifest(repo, {digest, manifest.media_type}, references, ref.tag));
  return ToApi(w.Send(201, "", "",
                      {{"Location", "/v2/" + repo + "/manifests/" + digest.String()},
                       {"Docker-Content-Digest", digest.String()}}));
}

ApiStatus Registry::DeleteManifest(const std::string& repo, http::Request& r,
                                   http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(ManifestRef ref, ParseManifestRef(r.params["reference"]));
  Status deleted =
      ref.digest ? catalog_.DeleteManifest(repo, *ref.digest) : catalog_.DeleteTag(repo, ref.tag);
  if (!deleted && deleted.error().kind() == ErrorKind::kNotFound) {
    return tl::unexpected(ManifestUnknown(ref));
  }
  BERTH_API_TRY(deleted);
  return ToApi(w.Send(202, "", ""));
}

}  // namespace berth::registry::server
