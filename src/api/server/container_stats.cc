// GET /containers/{id}/stats: docker's ContainerStatsResponse (moby api/swagger.yaml) from the
// daemon's samples. stream (the default) sends one sample a second while the container exists,
// each with the previous one's CPU as precpu_stats; stream=false sends one sample, taken a second
// after a first one so that precpu_stats is real, unless one-shot. A container that is not
// running gives docker's zeroed sample. Fields are written as Go's encoding/json writes docker's
// types: omitempty ones only when set, slices that docker leaves nil as null.
#include <chrono>
#include <thread>

#include "api/server/routes.h"
#include "base/strings.h"

namespace berth::api::server {
namespace {

using daemon::ContainerStats;
using nlohmann::ordered_json;

constexpr auto kInterval = std::chrono::seconds(1);

constexpr const char* kZeroTimeText = "0001-01-01T00:00:00Z";  // Go's zero time

// The CPU part of a sample, kept as the next sample's precpu_stats.
struct CpuSample {
  ordered_json cpu_stats;
  std::string read = kZeroTimeText;
};

ordered_json CpuJson(const ContainerStats& s) {
  const runtime::cgroup::CpuStats cpu = s.cgroup.cpu.value_or(runtime::cgroup::CpuStats{});
  ordered_json usage{{"total_usage", cpu.total_ns}};
  if (!cpu.percpu_ns.empty()) usage["percpu_usage"] = cpu.percpu_ns;
  usage["usage_in_kernelmode"] = cpu.kernel_ns;
  usage["usage_in_usermode"] = cpu.user_ns;
  ordered_json out{{"cpu_usage", usage}};
  if (s.running && s.system.total_ns != 0) out["system_cpu_usage"] = s.system.total_ns;
  if (s.running && s.system.online_cpus != 0) out["online_cpus"] = s.system.online_cpus;
  out["throttling_data"] = {{"periods", cpu.periods},
                            {"throttled_periods", cpu.throttled_periods},
                            {"throttled_time", cpu.throttled_ns}};
  return out;
}

ordered_json BlkioEntries(const std::vector<runtime::cgroup::BlkioEntry>& entries) {
  ordered_json out = ordered_json::array();
  for (const auto& e : entries) {
    out.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  }
  return out;
}

// v1 fills the service bytes and operations (empty lists when no I/O happened); v2 only the
// bytes, as read and write per device, the rest null; a zeroed sample has null everywhere.
ordered_json BlkioJson(const ContainerStats& s) {
  ordered_json bytes, serviced, rest;
  if (s.running && !s.v2) {
    bytes = BlkioEntries(s.cgroup.io_service_bytes);
    serviced = BlkioEntries(s.cgroup.io_serviced);
    rest = ordered_json::array();
  } else if (s.running && !s.cgroup.io_service_bytes.empty()) {
    bytes = BlkioEntries(s.cgroup.io_service_bytes);
  }
  return {{"io_service_bytes_recursive", bytes}, {"io_serviced_recursive", serviced},
          {"io_queue_recursive", rest},          {"io_service_time_recursive", rest},
          {"io_wait_time_recursive", rest},      {"io_merged_recursive", rest},
          {"io_time_recursive", rest},           {"sectors_recursive", rest}};
}

ordered_json MemoryJson(const ContainerStats& s) {
  ordered_json out = ordered_json::object();
  if (!s.cgroup.memory) return out;
  const runtime::cgroup::MemoryStats& m = *s.cgroup.memory;
  if (m.usage != 0) out["usage"] = m.usage;
  if (m.max_usage != 0) out["max_usage"] = m.max_usage;
  if (!m.stat.empty()) out["stats"] = m.stat;
  if (m.failcnt != 0) out["failcnt"] = m.failcnt;
  if (s.memory_limit != 0) out["limit"] = s.memory_limit;
  return out;
}

ordered_json PidsJson(const ContainerStats& s) {
  ordered_json out = ordered_json::object();
  if (!s.cgroup.pids) return out;
  if (s.cgroup.pids->current != 0) out["current"] = s.cgroup.pids->current;
  if (s.cgroup.pids->limit.value_or(0) != 0) out["limit"] = *s.cgroup.pids->limit;
  return out;
}

std::string ReadTime(const ContainerStats& s) {
  return s.running ? FormatRfc3339Nano(s.read) : kZeroTimeText;
}

ordered_json StatsJson(const ContainerStats& s, const CpuSample& previous) {
  return {{"read", ReadTime(s)},
          {"preread", previous.read},
          {"pids_stats", PidsJson(s)},
          {"blkio_stats", BlkioJson(s)},
          {"num_procs", 0},
          {"storage_stats", ordered_json::object()},
          {"cpu_stats", CpuJson(s)},
          {"precpu_stats", previous.cpu_stats},
          {"memory_stats", MemoryJson(s)},
          {"name", s.name},
          {"id", s.id}};
}

CpuSample Zero() { return {.cpu_stats = CpuJson(ContainerStats{}), .read = kZeroTimeText}; }
CpuSample CpuOf(const ContainerStats& s) { return {.cpu_stats = CpuJson(s), .read = ReadTime(s)}; }

Status Stats(daemon::Containers& containers, http::Request& req, http::ResponseWriter& w) {
  const std::string ref = req.params["id"];
  BERTH_ASSIGN_OR_RETURN(bool stream, req.QueryBool("stream", true));
  BERTH_ASSIGN_OR_RETURN(bool one_shot, req.QueryBool("one-shot"));
  BERTH_ASSIGN_OR_RETURN(ContainerStats first, containers.Stats(ref));
  if (!stream) {
    if (!first.running || one_shot) return w.SendJson(200, StatsJson(first, Zero()));
    std::this_thread::sleep_for(kInterval);
    BERTH_ASSIGN_OR_RETURN(ContainerStats second, containers.Stats(ref));
    return w.SendJson(200, StatsJson(second, CpuOf(first)));
  }
  // docker keeps sending (zeroed samples once the container has stopped) until the container is
  // removed or the client goes away, which makes a write fail.
  BERTH_TRY(w.BeginStream(200, "application/json"));
  CpuSample previous = Zero();
  Result<ContainerStats> sample = std::move(first);
  while (sample) {
    BERTH_TRY(w.Write(StatsJson(*sample, previous).dump() + "\n"));
    previous = CpuOf(*sample);
    std::this_thread::sleep_for(kInterval);
    sample = containers.Stats(ref);
  }
  if (sample.error().kind() == ErrorKind::kNotFound) return w.End();
  return Fail(std::move(sample).error());
}

}  // namespace

void AddContainerStatsRoutes(http::Router& router, daemon::Containers& containers) {
  router.Add("GET", "/containers/{id}/stats",
             [&containers](http::Request& req, http::ResponseWriter& w) {
               return Stats(containers, req, w);
             });
}

}  // namespace berth::api::server
