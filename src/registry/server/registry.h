// The registry server: the distribution API v2 (Docker Registry HTTP API v2, the OCI
// distribution spec) over a root directory: blobs in the content store (root/content: ingest,
// fsync, verify, rename), repositories, manifests and tags in the catalog (root/registry.db, one
// transaction per change). Routes go on an http::Router; the server's options add the
// Docker-Distribution-API-Version header. One process owns a root at a time (root/lock): a
// second server, or a garbage collection while a server runs, is refused.
// Thread-safety: route handlers run concurrently on the server's connection threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/server.h"
#include "image/content/store.h"
#include "registry/server/auth.h"
#include "registry/server/catalog.h"
#include "registry/server/errors.h"
#include "registry/server/token.h"
#include "registry/server/uploads.h"

namespace berth::registry::server {

struct RegistryOptions {
  std::string root;
  std::string htpasswd;  // an htpasswd file (Basic authentication)
  std::string realm = "berth-registry";
  TokenOptions token;  // token authentication when token.realm is set; neither: anonymous
};

struct GcReport {
  int64_t blobs_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t blobs_kept = 0;
};

class Registry {
 public:
  // Open opens (creating) the root, takes its lock (kAlreadyExists when another process holds
  // it) and removes the ingest files a killed server left. Basic and token authentication
  // together are kInvalidArgument.
  static Result<std::unique_ptr<Registry>> Open(const RegistryOptions& options);
  // ServerOptions are the HTTP server options the registry is served with.
  static http::ServerOptions ServerOptions();

  // AddRoutes registers the API's routes; the registry must outlive the router.
  void AddRoutes(http::Router& router);

  // CollectGarbage deletes the blobs no manifest of any repository is or references (layers and
  // configs only uploaded, those of deleted manifests) and the repositories' links to them.
  Result<GcReport> CollectGarbage();

 private:
  using Method = ApiStatus (Registry::*)(const std::string& repo, http::Request&,
                                         http::ResponseWriter&);

  Registry(RegistryOptions options, UniqueFd lock, image::content::Store store, Catalog catalog,
           std::optional<Htpasswd> htpasswd, std::optional<TokenVerifier> tokens);

  // Route adds a handler of a repository's path (its {name}) behind authentication and the
  // name's check; its errors are answered in the API's error shape.
  void Route(http::Router& router, std::string_view method, std::string_view pattern,
             Method handler);
  // Serve runs a handler behind authentication for needed (null: any client authenticated, as
  // GET /v2/ asks) and answers its error.
  Status Serve(http::Request& r, http::ResponseWriter& w, const Scope* needed,
               const std::function<ApiStatus()>& handler) const;
  // Authorize lets a request through or refuses it: UNAUTHORIZED (401) with a challenge when it
  // has no valid credentials, DENIED (403) when its token does not grant every action needed.
  ApiStatus Authorize(const http::Request& r, const Scope* needed) const;

  // Lists (registry.cc).
  ApiStatus Tags(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus Repositories(http::Request& r, http::ResponseWriter& w);

  // Manifests (manifest_routes.cc).
  ApiStatus GetManifest(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus PutManifest(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus DeleteManifest(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  // CheckReferences is MANIFEST_BLOB_UNKNOWN for a blob or a manifest repo lacks.
  ApiStatus CheckReferences(const std::string& repo, const std::vector<Digest>& blobs,
                            const std::vector<Digest>& children);

  // Blobs (blob_routes.cc).
  ApiStatus GetBlob(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus DeleteBlob(const std::string& repo, http::Request& r, http::ResponseWriter& w);

  // Uploads (upload_routes.cc).
  ApiStatus StartUpload(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus UploadStatus(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus PatchUpload(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus FinishUpload(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  ApiStatus CancelUpload(const std::string& repo, http::Request& r, http::ResponseWriter& w);
  // FindUpload is the upload of the request's {uuid} into repo (BLOB_UPLOAD_UNKNOWN).
  ApiResult<std::shared_ptr<Upload>> FindUpload(const std::string& repo, http::Request& r);
  // Mount links a blob of from into repo: false when from has no such blob.
  ApiResult<bool> Mount(const std::string& repo, const std::string& from, const Digest& digest);
  // Commit finishes a writer as the blob digest and links it into repo: DIGEST_INVALID (and
  // nothing stored) when the bytes written are not that blob.
  ApiStatus Commit(const std::string& repo, image::content::Writer& writer, const Digest& digest);
  // BlobCreated answers 201 for a blob of repo.
  ApiStatus BlobCreated(const std::string& repo, const Digest& digest, http::ResponseWriter& w);

  RegistryOptions options_;
  UniqueFd lock_;
  image::content::Store store_;
  Catalog catalog_;
  std::optional<Htpasswd> htpasswd_;
  std::optional<TokenVerifier> tokens_;
  Uploads uploads_;
};

}  // namespace berth::registry::server
