// Containers::Stats: one sample of a running container's cgroup for docker stats. The cgroup is
// found as the runtime placed it: the bundle's linux.cgroupsPath in this host's cgroup layout. A
// relative path lies under the cgroup of the shim, which created the container in-process; the
// shim is this daemon's child and stays in the cgroup it was born in, so this process's own
// cgroup stands for it.
#include <fmt/format.h>

#include "base/file.h"
#include "daemon/containers_internal.h"
#include "daemon/host_info.h"
#include "oci/runtime_spec_json.h"
#include "runtime/cgroup/layout.h"

namespace berth::daemon {
namespace {

namespace cgroup = runtime::cgroup;

Result<std::string> CgroupsPathOf(const std::string& bundle) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(bundle + "/config.json"));
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, Annotate(oci::DecodeSpec(text), bundle + "/config.json"));
  if (!spec.linux || spec.linux->cgroups_path.empty()) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("{}/config.json: no linux.cgroupsPath", bundle));
  }
  return spec.linux->cgroups_path;
}

Status Sample(const std::string& bundle, ContainerStats* s) {
  BERTH_ASSIGN_OR_RETURN(std::string cgroups_path, CgroupsPathOf(bundle));
  BERTH_ASSIGN_OR_RETURN(cgroup::Layout layout, cgroup::DetectLayout());
  BERTH_ASSIGN_OR_RETURN(cgroup::StatsDirs dirs, cgroup::StatsDirsOf(layout, cgroups_path));
  s->v2 = dirs.io.v2;
  s->read = std::chrono::system_clock::now();
  BERTH_ASSIGN_OR_RETURN(s->cgroup, cgroup::ReadStats(dirs));
  // Read close to the container's usage: clients divide the two deltas.
  BERTH_ASSIGN_OR_RETURN(s->system, cgroup::ReadSystemCpu());
  // docker shows the host's memory when the container's limit is unset or larger.
  BERTH_ASSIGN_OR_RETURN(std::string meminfo, ReadFile("/proc/meminfo"));
  const uint64_t host_memory = static_cast<uint64_t>(ParseMemTotal(meminfo));
  const std::optional<uint64_t> limit = s->cgroup.memory ? s->cgroup.memory->limit : std::nullopt;
  s->memory_limit = limit && (*limit < host_memory || host_memory == 0) ? *limit : host_memory;
  return Ok();
}

}  // namespace

Result<ContainerStats> Containers::Stats(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  ContainerStats s;
  {
    std::lock_guard lock(c->mu);
    s.id = c->record.id;
    s.name = c->record.name;
    s.running = c->Running();
  }
  if (!s.running) return s;
  Status sampled = Sample(impl_->ExecDir(s.id), &s);
  if (sampled) return s;
  // The container ended between the check and the reads: its cgroup or bundle is gone.
  if (sampled.error().kind() == ErrorKind::kNotFound) {
    std::lock_guard lock(c->mu);
    if (!c->Running()) return ContainerStats{.id = s.id, .name = s.name};
  }
  return Fail(std::move(sampled).error().Wrap(fmt::format("stats of container {}", s.id)));
}

}  // namespace berth::daemon
