#include "registry/server/registry.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "http/server.h"
#include "image/reference/reference.h"
#include "registry/server/parse.h"

namespace berth::registry::server {
namespace {

// TakeLock opens root/lock and locks it for this process.
Result<UniqueFd> TakeLock(const std::string& root) {
  std::string path = root + "/lock";
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Fail(ErrnoNow("open " + path));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Fail(ErrorKind::kAlreadyExists,
                  "registry root " + root + " is in use by another berth-registry process");
    }
    return Fail(ErrnoNow("lock " + path));
  }
  return fd;
}

// NextLink is the Link header of a list's next page.
http::Headers NextLink(const std::string& path, uint64_t n, const std::string& last) {
  return {{"Link", "<" + path + "?last=" + last + "&n=" + std::to_string(n) + ">; rel=\"next\""}};
}

// Paged trims a list read with one entry more than the page holds, and gives the Link header
// when there is a next page.
http::Headers Paged(std::vector<std::string>* items, const Page& page, const std::string& path) {
  if (!page.n || items->size() <= *page.n) return {};
  items->resize(*page.n);
  if (items->empty()) return {};
  return NextLink(path, *page.n, items->back());
}

std::optional<uint64_t> OneMore(const Page& page) {
  if (!page.n) return std::nullopt;
  return *page.n + 1;
}

// Actions are what a request on a repository needs, as distribution asks them of tokens: pull to
// read, pull and push to write (uploads included), delete to delete a manifest or a blob.
std::vector<std::string> Actions(std::string_view method, std::string_view pattern) {
  if (method == "GET" || method == "HEAD") return {"pull"};
  if (method == "DELETE" && pattern.find("/uploads/") == std::string_view::npos) return {"delete"};
  return {"pull", "push"};
}

ApiError Unauthorized(std::string message, std::string challenge) {
  return {Code::kUnauthorized,
          std::move(message),
          nullptr,
          0,
          {{"WWW-Authenticate", std::move(challenge)}}};
}

}  // namespace

Registry::Registry(RegistryOptions options, UniqueFd lock, image::content::Store store,
                   Catalog catalog, std::optional<Htpasswd> htpasswd,
                   std::optional<TokenVerifier> tokens)
    : options_(std::move(options)),
      lock_(std::move(lock)),
      store_(std::move(store)),
      catalog_(std::move(catalog)),
      htpasswd_(std::move(htpasswd)),
      tokens_(std::move(tokens)) {}

Result<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options) {
  if (options.root.empty()) return Fail(ErrorKind::kInvalidArgument, "no registry root given");
  if (!options.htpasswd.empty() && !options.token.realm.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "choose one authentication: --htpasswd or --auth-token-realm, not both");
  }
  std::optional<TokenVerifier> tokens;
  if (!options.token.realm.empty()) {
    BERTH_ASSIGN_OR_RETURN(tokens, TokenVerifier::Load(options.token));
  }
  BERTH_TRY(MakeDirs(options.root, 0700));
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, TakeLock(options.root));
  BERTH_ASSIGN_OR_RETURN(image::content::Store store,
                         image::content::Store::Create(options.root + "/content"));
  BERTH_TRY(store.CleanIngests());
  BERTH_ASSIGN_OR_RETURN(Catalog catalog, Catalog::Open(options.root + "/registry.db"));
  std::optional<Htpasswd> htpasswd;
  if (!options.htpasswd.empty()) {
    BERTH_ASSIGN_OR_RETURN(htpasswd, Htpasswd::Load(options.htpasswd));
  }
  return std::unique_ptr<Registry>(new Registry(options, std::move(lock), std::move(store),
                                                std::move(catalog), std::move(htpasswd),
                                                std::move(tokens)));
}

http::ServerOptions Registry::ServerOptions() {
  http::ServerOptions options;
  options.response_headers = {{"Docker-Distribution-API-Version", "registry/2.0"}};
  options.server_name = "berth-registry";
  return options;
}

ApiStatus Registry::Authorize(const http::Request& r, const Scope* needed) const {
  const std::optional<std::string> authorization = r.Header("Authorization");
  if (htpasswd_) {
    Status allowed = htpasswd_->Check(authorization);
    if (!allowed) {
      return tl::unexpected(
          Unauthorized(allowed.error().message(), "Basic realm=\"" + options_.realm + "\""));
    }
  }
  if (!tokens_) return {};
  const std::string header = authorization.value_or("");
  std::optional<std::string_view> token = http::AuthorizationOf(header, "Bearer");
  if (!token) {
    return tl::unexpected(Unauthorized("authentication required", tokens_->Challenge(needed, "")));
  }
  Result<std::vector<Scope>> granted = tokens_->Verify(*token, std::chrono::system_clock::now());
  if (!granted) {
    return tl::unexpected(
        Unauthorized(granted.error().message(), tokens_->Challenge(needed, "invalid_token")));
  }
  if (needed == nullptr) return {};
  for (const std::string& action : needed->actions) {
    if (Grants(*granted, *needed, action)) continue;
    return tl::unexpected(
        ApiError{Code::kDenied,
                 "requested access to the resource is denied",
                 nlohmann::json::array(
                     {{{"Type", needed->type}, {"Name", needed->name}, {"Action", action}}}),
                 0,
                 {{"WWW-Authenticate", tokens_->Challenge(needed, "insufficient_scope")}}});
  }
  return {};
}

Status Registry::Serve(http::Request& r, http::ResponseWriter& w, const Scope* needed,
                       const std::function<ApiStatus()>& handler) const {
  ApiStatus handled = Authorize(r, needed);
  if (handled) handled = handler();
  if (handled || w.started()) {
    if (!handled) return Fail(ErrorKind::kUnavailable, handled.error().message);
    return Ok();
  }
  return SendApiError(w, handled.error());
}

void Registry::Route(http::Router& router, std::string_view method, std::string_view pattern,
                     Method handler) {
  std::vector<std::string> actions = Actions(method, pattern);
  router.Add(method, pattern, [this, handler, actions](http::Request& r, http::ResponseWriter& w) {
    const std::string& repo = r.params["name"];
    const Scope needed{"repository", repo, actions};
    return Serve(r, w, &needed, [&]() -> ApiStatus {
      if (!image::IsValidRepositoryPath(repo)) {
        return ApiFail(Code::kNameInvalid, "invalid repository name", {{"name", repo}});
      }
      return (this->*handler)(repo, r, w);
    });
  });
}

void Registry::AddRoutes(http::Router& router) {
  auto base = [this](http::Request& r, http::ResponseWriter& w) {
    return Serve(r, w, nullptr, [&]() { return ToApi(w.Send(200, "application/json", "{}")); });
  };
  router.Add("GET", "/v2/", base);
  router.Add("HEAD", "/v2/", base);
  router.Add("GET", "/v2", base);
  router.Add("GET", "/v2/_catalog", [this](http::Request& r, http::ResponseWriter& w) {
    static const Scope kCatalog{"registry", "catalog", {"*"}};
    return Serve(r, w, &kCatalog, [&]() { return Repositories(r, w); });
  });
  Route(router, "GET", "/v2/{name:.*}/tags/list", &Registry::Tags);
  for (const char* method : {"GET", "HEAD"}) {
    Route(router, method, "/v2/{name:.*}/manifests/{reference}", &Registry::GetManifest);
    Route(router, method, "/v2/{name:.*}/blobs/{digest}", &Registry::GetBlob);
  }
  Route(router, "PUT", "/v2/{name:.*}/manifests/{reference}", &Registry::PutManifest);
  Route(router, "DELETE", "/v2/{name:.*}/manifests/{reference}", &Registry::DeleteManifest);
  Route(router, "DELETE", "/v2/{name:.*}/blobs/{digest}", &Registry::DeleteBlob);
  Route(router, "POST", "/v2/{name:.*}/blobs/uploads/", &Registry::StartUpload);
  Route(router, "GET", "/v2/{name:.*}/blobs/uploads/{uuid}", &Registry::UploadStatus);
  Route(router, "PATCH", "/v2/{name:.*}/blobs/uploads/{uuid}", &Registry::PatchUpload);
  Route(router, "PUT", "/v2/{name:.*}/blobs/uploads/{uuid}", &Registry::FinishUpload);
  Route(router, "DELETE", "/v2/{name:.*}/blobs/uploads/{uuid}", &Registry::CancelUpload);
}

ApiStatus Registry::Tags(const std::string& repo, http::Request& r, http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(Page page, ParsePage(r.Query("n"), r.Query("last")));
  Result<std::vector<std::string>> tags = catalog_.Tags(repo, OneMore(page), page.last);
  if (!tags && tags.error().kind() == ErrorKind::kNotFound) {
    return ApiFail(Code::kNameUnknown, "repository name not known to registry", {{"name", repo}});
  }
  BERTH_API_TRY(tags);
  http::Headers link = Paged(&*tags, page, "/v2/" + repo + "/tags/list");
  nlohmann::json body = {{"name", repo}, {"tags", *tags}};
  return ToApi(w.Send(200, "application/json", body.dump(), link));
}

ApiStatus Registry::Repositories(http::Request& r, http::ResponseWriter& w) {
  BERTH_API_ASSIGN_OR_RETURN(Page page, ParsePage(r.Query("n"), r.Query("last")));
  BERTH_API_ASSIGN_OR_RETURN(std::vector<std::string> repos,
                             catalog_.Repositories(OneMore(page), page.last));
  http::Headers link = Paged(&repos, page, "/v2/_catalog");
  nlohmann::json body = {{"repositories", repos}};
  return ToApi(w.Send(200, "application/json", body.dump(), link));
}

Result<GcReport> Registry::CollectGarbage() {
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> referenced, catalog_.Referenced());
  std::set<std::string> keep;
  for (const Digest& digest : referenced) keep.insert(digest.String());
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> blobs, store_.List());
  GcReport report;
  for (const Digest& digest : blobs) {
    if (keep.contains(digest.String())) {
      ++report.blobs_kept;
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(image::content::Info info, store_.Stat(digest));
    // Links first: a crash in between leaves an unlinked blob, which the next collection takes.
    BERTH_TRY(catalog_.ForgetBlob(digest));
    BERTH_TRY(store_.Delete(digest));
    ++report.blobs_deleted;
    report.bytes_deleted += info.size;
  }
  return report;
}

}  // namespace berth::registry::server
