// The container endpoints that answer at once: create, list, inspect, start, stop, restart, kill,
// wait, rm, pause, unpause, rename, top, resize, update, commit, prune; and export, a tar stream.
// Thin adapters from HTTP parameters to daemon::Containers, which holds docker's semantics.

#include <fmt/format.h>

#include <set>

#include "api/server/container_json.h"
#include "api/server/filters.h"
#include "api/server/routes.h"
#include "api/server/streams.h"
#include "base/child_process.h"
#include "base/strings.h"
#include "daemon/container/update.h"
#include "image/store/image_views.h"

namespace berth::api::server {
namespace {

using daemon::Containers;
using http::Request;
using http::ResponseWriter;
using nlohmann::ordered_json;

Status CreateContainer(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
  if (!body.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "container config must be a JSON object");
  }
  BERTH_ASSIGN_OR_RETURN(daemon::container::CreateRequest request,
                         daemon::container::DecodeCreateRequest(body));
  BERTH_ASSIGN_OR_RETURN(std::string id,
                         containers.Create(req.Query("name").value_or(""), request));
  return w.SendJson(201, ordered_json{{"Id", id}, {"Warnings", ordered_json::array()}});
}

Status ListContainers(Containers& containers, Request& req, ResponseWriter& w) {
  daemon::ListOptions options;
  BERTH_ASSIGN_OR_RETURN(options.all, req.QueryBool("all"));
  BERTH_ASSIGN_OR_RETURN(options.size, req.QueryBool("size"));
  BERTH_ASSIGN_OR_RETURN(std::optional<int> limit, req.QueryInt("limit"));
  if (limit && *limit > 0) options.limit = *limit;
  BERTH_ASSIGN_OR_RETURN(options.filters, ParseFilters(req.Query("filters")));
  BERTH_ASSIGN_OR_RETURN(std::vector<daemon::ContainerView> views, containers.List(options));
  const auto now = std::chrono::system_clock::now();
  ordered_json out = ordered_json::array();
  for (const daemon::ContainerView& view : views) out.push_back(SummaryJson(view, now));
  return w.SendJson(200, out);
}

// Top runs ps on the host (docker runs `ps -ef` unless told other arguments) and keeps the header
// and the lines whose PID column names one of the container's processes.
Status Top(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, containers.Pids(req.params["id"]));
  std::string args = req.Query("ps_args").value_or("-ef");
  if (args.empty()) args = "-ef";
  std::vector<std::string> argv = {"ps"};
  for (const std::string& arg : Split(args, ' ')) {
    if (!arg.empty()) argv.push_back(arg);
  }
  BERTH_ASSIGN_OR_RETURN(ProgramOutput ps, RunForOutput({.argv = argv}));
  if (!ps.status.Success()) {
    return Fail(ErrorKind::kInternal,
                fmt::format("ps {}: exited with {}", args, ps.status.ShellCode()));
  }
  std::vector<std::string> lines = Split(ps.out, '\n');
  if (lines.empty()) return Fail(ErrorKind::kInternal, "ps printed nothing");
  auto fields = [](const std::string& line) {
    std::vector<std::string> out;
    for (const std::string& f : Split(line, ' ')) {
      if (!f.empty()) out.push_back(f);
    }
    return out;
  };
  const std::vector<std::string> titles = fields(lines[0]);
  size_t pid_column = titles.size();
  for (size_t i = 0; i < titles.size(); ++i) {
    if (titles[i] == "PID") pid_column = i;
  }
  if (pid_column == titles.size()) {
    return Fail(ErrorKind::kInvalidArgument, "Couldn't find PID field in ps output");
  }
  const std::set<pid_t> wanted(pids.begin(), pids.end());
  ordered_json processes = ordered_json::array();
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = fields(lines[i]);
    if (f.size() <= pid_column) continue;
    Result<int64_t> pid = ParseInt64(f[pid_column]);
    if (!pid || !wanted.contains(static_cast<pid_t>(*pid))) continue;
    // The last column (the command) keeps its spaces.
    std::vector<std::string> row(f.begin(), f.begin() + std::min(f.size(), titles.size() - 1));
    std::string rest;
    for (size_t j = titles.size() - 1; j < f.size(); ++j) rest += (rest.empty() ? "" : " ") + f[j];
    row.push_back(rest);
    processes.push_back(row);
  }
  return w.SendJson(200, ordered_json{{"Titles", titles}, {"Processes", processes}});
}

Status WaitContainer(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(daemon::WaitCondition condition,
                         daemon::ParseWaitCondition(req.Query("condition").value_or("")));
  BERTH_ASSIGN_OR_RETURN(daemon::WaitResult result,
                         containers.Wait(req.params["id"], condition,
                                         [&] { return w.BeginStream(200, "application/json"); }));
  ordered_json body = {{"StatusCode", result.exit_code}, {"Error", nullptr}};
  if (!result.error.empty()) body["Error"] = {{"Message", result.error}};
  BERTH_TRY(w.Write(body.dump() + "\n"));
  return w.End();
}

Status CommitContainer(Containers& containers, Request& req, ResponseWriter& w) {
  Containers::CommitOptions options;
  const std::string repo = req.Query("repo").value_or("");
  const std::string tag = req.Query("tag").value_or("");
  options.reference = repo.empty() || tag.empty() ? repo : repo + ":" + tag;
  auto [begin, end] = req.query.equal_range("changes");
  for (auto it = begin; it != end; ++it) options.changes.push_back(it->second);
  options.message = req.Query("comment").value_or("");
  options.author = req.Query("author").value_or("");
  BERTH_ASSIGN_OR_RETURN(options.pause, req.QueryBool("pause", true));
  const std::string container = req.Query("container").value_or("");
  if (container.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "commit: the container parameter must be given");
  }
  BERTH_ASSIGN_OR_RETURN(Digest id, containers.Commit(container, options));
  return w.SendJson(201, ordered_json{{"Id", id.String()}});
}

Status PruneContainers(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
  BERTH_ASSIGN_OR_RETURN(auto pruned, containers.Prune(filters));
  ordered_json deleted = pruned.first.empty() ? ordered_json(nullptr) : ordered_json(pruned.first);
  return w.SendJson(
      200, ordered_json{{"ContainersDeleted", deleted}, {"SpaceReclaimed", pruned.second}});
}

}  // namespace

void AddContainerRoutes(http::Router& router, daemon::Daemon& daemon) {
  Containers& c = daemon.containers();
  router.Add("POST", "/containers/create",
             [&c](Request& req, ResponseWriter& w) { return CreateContainer(c, req, w); });
  router.Add("GET", "/containers/json",
             [&c](Request& req, ResponseWriter& w) { return ListContainers(c, req, w); });
  router.Add("GET", "/containers/{id}/json", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(bool size, req.QueryBool("size"));
    BERTH_ASSIGN_OR_RETURN(daemon::ContainerView view, c.Inspect(req.params["id"], size));
    return w.SendJson(200, InspectJson(view));
  });
  router.Add("POST", "/containers/{id}/start", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(bool started, c.Start(req.params["id"]));
    return w.SendEmpty(started ? 204 : 304);
  });
  router.Add("POST", "/containers/{id}/stop", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int> timeout, req.QueryInt("t"));
    BERTH_ASSIGN_OR_RETURN(bool stopped, c.Stop(req.params["id"], timeout, req.Query("signal")));
    return w.SendEmpty(stopped ? 204 : 304);
  });
  router.Add("POST", "/containers/{id}/restart", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int> timeout, req.QueryInt("t"));
    BERTH_TRY(c.Restart(req.params["id"], timeout, req.Query("signal")));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/containers/{id}/kill", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_TRY(c.Kill(req.params["id"], req.Query("signal").value_or("")));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/containers/{id}/wait",
             [&c](Request& req, ResponseWriter& w) { return WaitContainer(c, req, w); });
  router.Add("DELETE", "/containers/{id}", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(bool force, req.QueryBool("force"));
    BERTH_ASSIGN_OR_RETURN(bool link, req.QueryBool("link"));
    if (link) {
      return Fail(ErrorKind::kInvalidArgument, "links are not supported: remove with link=false");
    }
    BERTH_ASSIGN_OR_RETURN(bool volumes, req.QueryBool("v"));
    BERTH_TRY(c.Remove(req.params["id"], force, volumes));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/containers/{id}/pause", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_TRY(c.Pause(req.params["id"]));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/containers/{id}/unpause", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_TRY(c.Unpause(req.params["id"]));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/containers/{id}/rename", [&c](Request& req, ResponseWriter& w) -> Status {
    const std::string name = req.Query("name").value_or("");
    if (name.empty()) return Fail(ErrorKind::kInvalidArgument, "rename: name must be given");
    BERTH_TRY(c.Rename(req.params["id"], name));
    return w.SendEmpty(204);
  });
  router.Add("GET", "/containers/{id}/top",
             [&c](Request& req, ResponseWriter& w) { return Top(c, req, w); });
  router.Add("POST", "/containers/{id}/resize", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int> height, req.QueryInt("h"));
    BERTH_ASSIGN_OR_RETURN(std::optional<int> width, req.QueryInt("w"));
    BERTH_TRY(c.Resize(req.params["id"], height.value_or(0), width.value_or(0)));
    return w.SendEmpty(200);
  });
  router.Add("POST", "/containers/{id}/update", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
    BERTH_ASSIGN_OR_RETURN(daemon::container::HostConfig update,
                           daemon::container::DecodeUpdate(body));
    BERTH_TRY(c.Update(req.params["id"], update));
    return w.SendJson(200, ordered_json{{"Warnings", ordered_json::array()}});
  });
  router.Add("GET", "/containers/{id}/export", [&c](Request& req, ResponseWriter& w) {
    return StreamFd(w, "application/x-tar", [&](int fd) { return c.Export(req.params["id"], fd); });
  });
  router.Add("POST", "/commit",
             [&c](Request& req, ResponseWriter& w) { return CommitContainer(c, req, w); });
  router.Add("POST", "/containers/prune",
             [&c](Request& req, ResponseWriter& w) { return PruneContainers(c, req, w); });
  AddContainerStreamRoutes(router, c);
  AddContainerStatsRoutes(router, c);
  AddContainerArchiveRoutes(router, c);
}

}  // namespace berth::api::server
