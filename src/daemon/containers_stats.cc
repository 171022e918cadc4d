// Containers::Stats: one sample of a running container's cgroup for docker stats. The cgroup is
// found as the runtime placed it: the container's cgroupsPath (container/spec.h) in the host's
// cgroup layout, which the daemon read once at start. A relative path lies under the cgroup of
// the shim, which created the container in-process; the shim is this daemon's child and stays in
// the cgroup it was born in, so this process's own cgroup stands for it.
#include <fmt/format.h>

#include "daemon/container/spec.h"
#include "daemon/containers_internal.h"
#include "runtime/cgroup/layout.h"

namespace berth::daemon {
namespace {

namespace cgroup = runtime::cgroup;

Status Sample(const ContainersOptions& options, const std::string& cgroups_path,
              ContainerStats* s) {
  if (!options.cgroup_layout) {
    return Fail(ErrorKind::kFailedPrecondition, "the host's cgroup layout could not be read");
  }
  BERTH_ASSIGN_OR_RETURN(cgroup::StatsDirs dirs,
                         cgroup::StatsDirsOf(*options.cgroup_layout, cgroups_path));
  s->v2 = dirs.io.v2;
  s->read = std::chrono::system_clock::now();
  BERTH_ASSIGN_OR_RETURN(s->cgroup, cgroup::ReadStats(dirs));
  // Read close to the container's usage: clients divide the two deltas.
  BERTH_ASSIGN_OR_RETURN(s->system, cgroup::ReadSystemCpu());
  // docker shows the host's memory when the container's limit is unset or larger.
  const uint64_t host_memory = static_cast<uint64_t>(options.host_memory);
  const std::optional<uint64_t> limit = s->cgroup.memory ? s->cgroup.memory->limit : std::nullopt;
  s->memory_limit = limit && (*limit < host_memory || host_memory == 0) ? *limit : host_memory;
  return Ok();
}

}  // namespace

Result<ContainerStats> Containers::Stats(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  ContainerStats s;
  std::string cgroups_path;
  {
    std::lock_guard lock(c->mu);
    s.id = c->record.id;
    s.name = c->record.name;
    s.running = c->Running();
    cgroups_path = container::CgroupsPath(c->record.host_config, s.id);
  }
  if (!s.running) return s;
  Status sampled = Sample(impl_->options, cgroups_path, &s);
  if (sampled) return s;
  // The container ended between the check and the reads: its cgroup or bundle is gone.
  if (sampled.error().kind() == ErrorKind::kNotFound) {
    std::lock_guard lock(c->mu);
    if (!c->Running()) return ContainerStats{.id = s.id, .name = s.name};
  }
  return Fail(std::move(sampled).error().Wrap(fmt::format("stats of container {}", s.id)));
}

}  // namespace berth::daemon
