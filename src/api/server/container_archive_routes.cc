// docker cp's endpoints over daemon::Containers: HEAD /containers/{id}/archive (the stat of a
// path, in the X-Docker-Container-Path-Stat header), GET (a tar of the path after that header),
// PUT (a tar extracted into a directory), and docker diff's GET /containers/{id}/changes.

#include <mutex>

#include "api/server/routes.h"
#include "api/server/streams.h"
#include "api/types/path_stat.h"
#include "base/strings.h"

namespace berth::api::server {
namespace {

using daemon::Containers;
using http::Request;
using http::ResponseWriter;

// PathOf is the path parameter, which docker requires (its message keeps docker's wording).
Result<std::string> PathOf(const Request& req) {
  std::string path = req.Query("path").value_or("");
  if (path.empty()) return Fail(ErrorKind::kInvalidArgument, "bad parameter: pathcannot be empty");
  return path;
}

http::Headers StatHeader(const daemon::container::PathStat& stat) {
  const types::ContainerPathStat wire{.name = stat.name,
                                      .size = stat.size,
                                      .mode = stat.mode,
                                      .mtime = FormatRfc3339Nano(stat.mtime),
                                      .link_target = stat.link_target};
  return {{std::string(types::kPathStatHeader), types::EncodePathStat(wire)}};
}

Status HeadArchive(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(std::string path, PathOf(req));
  BERTH_ASSIGN_OR_RETURN(daemon::container::PathStat stat,
                         containers.StatPath(req.params["id"], path));
  return w.Send(200, "", "", StatHeader(stat));
}

Status GetArchive(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(std::string path, PathOf(req));
  // The stat is taken on the daemon's thread and sent with the first byte of the tar.
  std::mutex mu;
  http::Headers headers;
  return StreamFd(
      w, "application/x-tar",
      [&](int fd) {
        return containers.ArchivePath(req.params["id"], path, fd,
                                      [&](const daemon::container::PathStat& stat) {
                                        std::lock_guard lock(mu);
                                        headers = StatHeader(stat);
                                      });
      },
      [&] {
        std::lock_guard lock(mu);
        return headers;
      });
}

Status PutArchive(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(std::string path, PathOf(req));
  Containers::ExtractOptions options;
  BERTH_ASSIGN_OR_RETURN(options.no_overwrite_dir_non_dir, req.QueryBool("noOverwriteDirNonDir"));
  BERTH_ASSIGN_OR_RETURN(options.copy_uid_gid, req.QueryBool("copyUIDGID"));
  BERTH_TRY(WithBodyFd(
      req, [&](int fd) { return containers.ExtractToDir(req.params["id"], path, fd, options); }));
  return w.SendEmpty(200);
}

Status GetChanges(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(std::vector<image::layer::Change> changes,
                         containers.Changes(req.params["id"]));
  // docker sends null, not [], when nothing changed.
  nlohmann::ordered_json out = nullptr;
  for (const image::layer::Change& change : changes) {
    out.push_back({{"Path", change.path}, {"Kind", static_cast<int>(change.kind)}});
  }
  return w.SendJson(200, out);
}

}  // namespace

void AddContainerArchiveRoutes(http::Router& router, Containers& containers) {
  Containers& c = containers;
  router.Add("HEAD", "/containers/{id}/archive",
             [&c](Request& req, ResponseWriter& w) { return HeadArchive(c, req, w); });
  router.Add("GET", "/containers/{id}/archive",
             [&c](Request& req, ResponseWriter& w) { return GetArchive(c, req, w); });
  router.Add("PUT", "/containers/{id}/archive",
             [&c](Request& req, ResponseWriter& w) { return PutArchive(c, req, w); });
  router.Add("GET", "/containers/{id}/changes",
             [&c](Request& req, ResponseWriter& w) { return GetChanges(c, req, w); });
}

}  // namespace berth::api::server
