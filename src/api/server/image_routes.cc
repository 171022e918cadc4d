// The image endpoints: thin adapters from HTTP parameters to image/store's functions, which hold
// docker's semantics.
#include <fmt/format.h>

#include "api/server/filters.h"
#include "api/server/registry_routes.h"
#include "api/server/routes.h"
#include "api/server/streams.h"
#include "api/types/json_message.h"
#include "image/store/image_views.h"
#include "image/store/import_export.h"
#include "image/store/load.h"
#include "image/store/save.h"
#include "oci/platform.h"

namespace berth::api::server {
namespace {

namespace store = image::store;
using http::Request;
using http::ResponseWriter;
using nlohmann::ordered_json;

Status ListImages(store::ImageStore& images, const store::ImageUsers& users, Request& req,
                  ResponseWriter& w) {
  store::ListOptions options;
  options.users = users;
  BERTH_ASSIGN_OR_RETURN(options.all, req.QueryBool("all"));
  BERTH_ASSIGN_OR_RETURN(options.filters, ParseFilters(req.Query("filters")));
  BERTH_ASSIGN_OR_RETURN(std::vector<store::ImageSummary> list, store::List(images, options));
  ordered_json out = ordered_json::array();
  for (const store::ImageSummary& summary : list) out.push_back(store::SummaryJson(summary));
  return w.SendJson(200, out);
}

// RepoTag joins docker's "repo" and "tag" parameters into one name ("" without a repo).
std::string RepoTag(const Request& req) {
  const std::string repo = req.Query("repo").value_or("");
  const std::string tag = req.Query("tag").value_or("");
  return repo.empty() || tag.empty() ? repo : repo + ":" + tag;
}

Status TagImage(store::ImageStore& images, Request& req, ResponseWriter& w) {
  const std::string target = RepoTag(req);
  if (target.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "tag: repository name must be given");
  }
  BERTH_TRY(store::Tag(images, req.params["name"], target));
  return w.SendEmpty(201);
}

Status RemoveImage(store::ImageStore& images, const store::ImageUsers& users, Request& req,
                   ResponseWriter& w) {
  store::RemoveOptions options;
  options.users = users;
  BERTH_ASSIGN_OR_RETURN(options.force, req.QueryBool("force"));
  BERTH_ASSIGN_OR_RETURN(bool no_prune, req.QueryBool("noprune"));
  options.prune_parents = !no_prune;
  BERTH_ASSIGN_OR_RETURN(std::vector<store::DeleteItem> items,
                         store::Remove(images, req.params["name"], options));
  return w.SendJson(200, store::DeleteJson(items));
}

// LoadImages is `docker load`: progress while the archive streams in (unless quiet), then one
// "Loaded image" line per name, as docker's stream has them.
Status LoadImages(store::ImageStore& images, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(bool quiet, req.QueryBool("quiet"));
  JsonStream stream(w);
  store::LoadOptions options;
  if (!quiet) options.progress = stream.Progress();
  store::LoadResult result;
  Status loaded = WithBodyFd(req, [&](int fd) -> Status {
    BERTH_ASSIGN_OR_RETURN(result, store::Load(images, fd, options));
    return Ok();
  });
  if (loaded) {
    for (const store::LoadedImage& image : result.images) {
      if (image.names.empty()) {
        BERTH_TRY(
            stream.Send(types::StreamMessage("Loaded image ID: " + image.id.String() + "\n")));
      }
      for (const image::Reference& name : image.names) {
        BERTH_TRY(
            stream.Send(types::StreamMessage("Loaded image: " + name.FamiliarString() + "\n")));
      }
    }
  }
  return stream.Finish(loaded);
}

Status SaveImages(store::ImageStore& images, const std::vector<std::string>& names,
                  ResponseWriter& w) {
  if (names.empty()) return Fail(ErrorKind::kInvalidArgument, "save: no image names given");
  return StreamFd(w, "application/x-tar", [&](int fd) { return store::Save(images, names, fd); });
}

Result<store::ImportOptions> ImportOptionsOf(const Request& req) {
  store::ImportOptions options;
  const std::string name = RepoTag(req);
  if (!name.empty()) {
    BERTH_ASSIGN_OR_RETURN(options.reference, image::ParseReference(name));
  }
  auto [begin, end] = req.query.equal_range("changes");
  for (auto it = begin; it != end; ++it) options.changes.push_back(it->second);
  options.message = req.Query("message").value_or("");
  const std::string platform = req.Query("platform").value_or("");
  if (!platform.empty()) {
    BERTH_ASSIGN_OR_RETURN(options.platform, oci::ParsePlatform(platform));
  }
  return options;
}

// CreateImage is POST /images/create: a pull (fromImage, registry_routes.cc) or the import of
// a tarball sent as the body (fromSrc=-); fetching a URL is refused with a message.
Status CreateImage(daemon::Daemon& daemon, Request& req, ResponseWriter& w) {
  if (req.Query("fromImage")) return PullImage(daemon, req, w);
  store::ImageStore& images = daemon.images();
  const std::string source = req.Query("fromSrc").value_or("");
  if (source != "-") {
    return Fail(ErrorKind::kInvalidArgument,
                source.empty() ? "create image: fromImage or fromSrc must be given"
                               : "import " + source + ": only a tarball sent as the body (-) " +
                                     "can be imported");
  }
  BERTH_ASSIGN_OR_RETURN(store::ImportOptions options, ImportOptionsOf(req));
  JsonStream stream(w);
  options.progress = stream.Progress();
  Digest id;
  Status imported = WithBodyFd(req, [&](int fd) -> Status {
    BERTH_ASSIGN_OR_RETURN(id, store::Import(images, fd, options));
    return Ok();
  });
  if (imported) BERTH_TRY(stream.Send(types::StatusMessage(id.String())));
  return stream.Finish(imported);
}

Status PruneImages(store::ImageStore& images, const store::ImageUsers& users, Request& req,
                   ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(store::Filters filters, ParseFilters(req.Query("filters")));
  BERTH_ASSIGN_OR_RETURN(store::PruneReport report, store::Prune(images, filters, users));
  return w.SendJson(200, store::PruneJson(report));
}

}  // namespace

void AddImageRoutes(http::Router& router, daemon::Daemon& daemon) {
  store::ImageStore& images = daemon.images();
  daemon::Containers& containers = daemon.containers();
  const store::ImageUsers users = [&containers](const Digest& id) { return containers.Users(id); };
  router.Add("GET", "/images/json", [&images, users](Request& req, ResponseWriter& w) {
    return ListImages(images, users, req, w);
  });
  router.Add("GET", "/images/{name:.*}/json", [&images](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(ordered_json inspect, store::Inspect(images, req.params["name"]));
    return w.SendJson(200, inspect);
  });
  router.Add("GET", "/images/{name:.*}/history",
             [&images](Request& req, ResponseWriter& w) -> Status {
               BERTH_ASSIGN_OR_RETURN(std::vector<store::HistoryItem> items,
                                      store::History(images, req.params["name"]));
               return w.SendJson(200, store::HistoryJson(items));
             });
  router.Add("POST", "/images/{name:.*}/tag",
             [&images](Request& req, ResponseWriter& w) { return TagImage(images, req, w); });
  router.Add("DELETE", "/images/{name:.*}", [&images, users](Request& req, ResponseWriter& w) {
    return RemoveImage(images, users, req, w);
  });
  router.Add("POST", "/images/load",
             [&images](Request& req, ResponseWriter& w) { return LoadImages(images, req, w); });
  router.Add("GET", "/images/get", [&images](Request& req, ResponseWriter& w) {
    std::vector<std::string> names;
    auto [begin, end] = req.query.equal_range("names");
    for (auto it = begin; it != end; ++it) names.push_back(it->second);
    return SaveImages(images, names, w);
  });
  router.Add("GET", "/images/{name:.*}/get", [&images](Request& req, ResponseWriter& w) {
    return SaveImages(images, {req.params["name"]}, w);
  });
  router.Add("POST", "/images/create",
             [&daemon](Request& req, ResponseWriter& w) { return CreateImage(daemon, req, w); });
  router.Add("POST", "/images/prune", [&images, users](Request& req, ResponseWriter& w) {
    return PruneImages(images, users, req, w);
  });
}

}  // namespace berth::api::server
