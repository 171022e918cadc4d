// Containers::Update: docker update. The new limits are merged into the record's HostConfig
// (container/update.h); a running container's cgroup, found as the runtime placed it (the
// container's cgroupsPath in the host's layout), gets those the update sets. The record changes
// only once the cgroup has taken them.
#include <fmt/format.h>

#include "daemon/container/spec.h"
#include "daemon/container/update.h"
#include "daemon/containers_internal.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/stats.h"

namespace berth::daemon {
namespace {

namespace cgroup = runtime::cgroup;

// Apply writes the limits update sets into the container's cgroup. A v1 memory limit below what
// the container uses is refused by the kernel (EBUSY); the error then says so, as runc's does.
Status Apply(const cgroup::Layout& layout, const std::string& cgroups_path,
             const container::HostConfig& update) {
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup group, cgroup::Cgroup::Create(layout, cgroups_path));
  Status applied = group.Apply(container::UpdateResources(update));
  if (applied || applied.error().sys_errno() != EBUSY || update.memory <= 0) return applied;
  Result<cgroup::StatsDirs> dirs = cgroup::StatsDirsOf(layout, cgroups_path);
  Result<cgroup::Stats> stats = dirs ? cgroup::ReadStats(*dirs) : Fail(dirs.error());
  if (!stats || !stats->memory) return applied;
  return Fail(Error(ErrorKind::kInternal,
                    fmt::format("unable to set memory limit to {} (current usage: {}, peak "
                                "usage: {})",
                                update.memory, stats->memory->usage, stats->memory->max_usage),
                    EBUSY));
}

}  // namespace

Status Containers::Update(std::string_view ref, const container::HostConfig& update) {
  Impl& d = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto c, d.Find(ref));
  std::lock_guard op(c->op_mu);
  std::lock_guard lock(c->mu);
  container::Record& r = c->record;
  auto cannot = [&](Error error) {
    return Fail(std::move(error).Wrap("Cannot update container " + r.id));
  };
  container::HostConfig merged = r.host_config;
  if (Status ok = container::MergeUpdate(merged, update); !ok) return cannot(ok.error());
  if (r.state.status == container::ContainerStatus::kRunning ||
      r.state.status == container::ContainerStatus::kPaused) {
    if (!d.options.cgroup_layout) {
      return cannot(
          Error(ErrorKind::kFailedPrecondition, "the host's cgroup layout could not be read"));
    }
    Status applied =
        Apply(*d.options.cgroup_layout, container::CgroupsPath(r.host_config, r.id), update);
    if (!applied) return cannot(applied.error());
  }
  const container::HostConfig before = std::move(r.host_config);
  r.host_config = std::move(merged);
  if (Status saved = container::SaveRecord(d.DataDir(r.id), r); !saved) {
    r.host_config = before;
    return saved;
  }
  d.Emit(r, "update");
  return Ok();
}

}  // namespace berth::daemon
