// The system endpoints: /_ping for version negotiation, /version, /info, /system/df
// (disk_usage.h). The JSON shapes are
// moby's SystemVersion and SystemInfo, with the fields the docker CLI and docker-py read.
#include <fmt/format.h>

#include <chrono>

#include "api/server/disk_usage.h"
#include "api/server/routes.h"
#include "base/strings.h"
#include "daemon/host_info.h"
#include "image/store/image_views.h"
#include "oci/platform.h"

namespace berth::api::server {
namespace {

using http::Request;
using http::ResponseWriter;
using nlohmann::ordered_json;

Status Ping(Request& req, ResponseWriter& w) {
  const http::Headers headers = {{"Builder-Version", "1"},
                                 {"Cache-Control", "no-cache, no-store, must-revalidate"},
                                 {"Pragma", "no-cache"}};
  return w.Send(200, "text/plain; charset=utf-8", req.method == "HEAD" ? "" : "OK", headers);
}

ordered_json VersionJson(const version::EngineVersions& server, const daemon::HostInfo& host) {
  const std::string arch = oci::HostPlatform().architecture;
  ordered_json details = {{"ApiVersion", server.api_version},
                          {"Arch", arch},
                          {"KernelVersion", host.kernel_version},
                          {"MinAPIVersion", server.min_api_version},
                          {"Os", "linux"}};
  return {{"Platform", {{"Name", "berth"}}},
          {"Components",
           {{{"Name", "Engine"}, {"Version", server.server_version}, {"Details", details}}}},
          {"Version", server.server_version},
          {"ApiVersion", server.api_version},
          {"MinAPIVersion", server.min_api_version},
          {"GitCommit", ""},
          {"GoVersion", ""},
          {"Os", "linux"},
          {"Arch", arch},
          {"KernelVersion", host.kernel_version}};
}

// RuntimesJson is docker info's Runtimes: the built-in runtime (in berth-shim, berth-runtime's
// library) and each configured binary with its runtimeArgs.
ordered_json RuntimesJson(const daemon::DaemonOptions& options) {
  ordered_json runtimes = {{daemon::kBuiltinRuntime, {{"path", "berth-runtime"}}}};
  for (const auto& [name, runtime] : options.runtimes) {
    runtimes[name] = {{"path", runtime.path}};
    if (!runtime.args.empty()) runtimes[name]["runtimeArgs"] = runtime.args;
  }
  return runtimes;
}

Result<ordered_json> InfoJson(daemon::Daemon& daemon, const version::EngineVersions& server) {
  BERTH_ASSIGN_OR_RETURN(daemon::HostInfo host, daemon::ReadHostInfo());
  BERTH_ASSIGN_OR_RETURN(std::vector<image::metadata::ImageRecord> images,
                         daemon.images().catalog().ListImages({.all = true}));
  const std::string driver = image::store::GraphDriverName(daemon.images().snapshotter().name());
  return ordered_json{{"ID", daemon.id()},
                      {"Containers", 0},
                      {"ContainersRunning", 0},
                      {"ContainersPaused", 0},
                      {"ContainersStopped", 0},
                      {"Images", images.size()},
                      {"Driver", driver},
                      {"DriverStatus", ordered_json::array()},
                      {"Plugins",
                       {{"Volume", ordered_json::array()},
                        {"Network", ordered_json::array()},
                        {"Authorization", nullptr},
                        {"Log", ordered_json::array()}}},
                      {"MemoryLimit", true},
                      {"CpuCfsPeriod", true},
                      {"CpuCfsQuota", true},
                      {"CPUShares", true},
                      {"CPUSet", true},
                      {"PidsLimit", true},
                      {"Debug", false},
                      {"SystemTime", FormatRfc3339Nano(std::chrono::system_clock::now())},
                      {"LoggingDriver", "json-file"},
                      {"CgroupDriver", "cgroupfs"},
                      {"CgroupVersion", host.cgroup_version},
                      {"KernelVersion", host.kernel_version},
                      {"OperatingSystem", host.operating_system},
                      {"OSVersion", host.os_version},
                      {"OSType", "linux"},
                      {"Architecture", host.architecture},
                      {"NCPU", host.ncpu},
                      {"MemTotal", host.mem_total},
                      {"IndexServerAddress", "https://index.docker.io/v1/"},
                      {"DockerRootDir", daemon.options().data_root},
                      {"Name", host.hostname},
                      {"Labels", ordered_json::array()},
                      {"ExperimentalBuild", false},
                      {"ServerVersion", server.server_version},
                      {"Runtimes", RuntimesJson(daemon.options())},
                      {"DefaultRuntime", daemon.options().default_runtime},
                      {"Swarm", {{"LocalNodeState", "inactive"}, {"ControlAvailable", false}}},
                      {"LiveRestoreEnabled", daemon.options().live_restore},
                      {"Isolation", ""},
                      {"SecurityOptions", ordered_json::array({"name=seccomp,profile=builtin"})},
                      {"Warnings", ordered_json::array()}};
}

}  // namespace

void AddSystemRoutes(http::Router& router, daemon::Daemon& daemon,
                     const version::EngineVersions& server) {
  router.Add("GET", "/_ping", Ping);
  router.Add("HEAD", "/_ping", Ping);
  router.Add("GET", "/version", [server](Request&, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(daemon::HostInfo host, daemon::ReadHostInfo());
    return w.SendJson(200, VersionJson(server, host));
  });
  router.Add("GET", "/info", [&daemon, server](Request&, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(ordered_json info, InfoJson(daemon, server));
    return w.SendJson(200, info);
  });
  router.Add("GET", "/system/df", [&daemon](Request& req, ResponseWriter& w) -> Status {
    std::vector<std::string> types;
    if (version::CompareApiVersions(req.api_version, "1.42") >= 0) {
      auto [begin, end] = req.query.equal_range("type");
      for (auto it = begin; it != end; ++it) types.push_back(it->second);
    }
    BERTH_ASSIGN_OR_RETURN(std::set<std::string> objects, DiskUsageObjects(types));
    BERTH_ASSIGN_OR_RETURN(ordered_json usage, DiskUsageJson(daemon, objects));
    return w.SendJson(200, usage);
  });
}

}  // namespace berth::api::server
