#include "daemon/container/update.h"

#include "daemon/container/spec.h"

namespace berth::daemon::container {
namespace {

Status Conflict(std::string message) { return Fail(ErrorKind::kConflict, std::move(message)); }

// The memory+swap limit in force: MemorySwap, else twice a memory limit (docker's default).
int64_t EffectiveSwap(const HostConfig& host) {
  if (host.memory_swap != 0) return host.memory_swap;
  return host.memory > 0 ? host.memory * 2 : 0;
}

}  // namespace

Result<HostConfig> DecodeUpdate(const nlohmann::json& body) {
  if (!body.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "update config must be a JSON object");
  }
  BERTH_ASSIGN_OR_RETURN(HostConfig update, DecodeHostConfig(body, ""));
  BERTH_TRY(CheckHostConfig(update));
  return update;
}

Status MergeUpdate(HostConfig& host, const HostConfig& u) {
  // NanoCpus sets the CFS period and quota: it cannot be mixed with them.
  if (u.nano_cpus > 0 && host.cpu_period > 0) {
    return Conflict(
        "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  }
  if (u.nano_cpus > 0 && host.cpu_quota > 0) {
    return Conflict(
        "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  }
  if (u.cpu_period > 0 && host.nano_cpus > 0) {
    return Conflict(
        "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  }
  if (u.cpu_quota > 0 && host.nano_cpus > 0) {
    return Conflict(
        "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  }
  const int64_t swap = EffectiveSwap(host);
  if (u.memory != 0 && u.memory_swap == 0 && swap != -1 && u.memory > swap) {
    return Conflict(
        "Memory limit should be smaller than already set memoryswap limit, update the memoryswap "
        "at the same time");
  }
  if (!u.restart_policy.name.empty() && host.auto_remove && u.restart_policy.name != "no") {
    return Conflict(
        "Restart policy cannot be updated because AutoRemove is enabled for the container");
  }
  if (u.blkio_weight != 0) host.blkio_weight = u.blkio_weight;
  if (u.cpu_shares != 0) host.cpu_shares = u.cpu_shares;
  if (u.nano_cpus != 0) host.nano_cpus = u.nano_cpus;
  if (u.cpu_period != 0) host.cpu_period = u.cpu_period;
  if (u.cpu_quota != 0) host.cpu_quota = u.cpu_quota;
  if (!u.cpuset_cpus.empty()) host.cpuset_cpus = u.cpuset_cpus;
  if (!u.cpuset_mems.empty()) host.cpuset_mems = u.cpuset_mems;
  if (u.memory != 0) {
    host.memory_swap = swap;
    host.memory = u.memory;
  }
  if (u.memory_swap != 0) host.memory_swap = u.memory_swap;
  if (u.memory_reservation != 0) host.memory_reservation = u.memory_reservation;
  if (u.pids_limit) host.pids_limit = u.pids_limit;
  if (!u.restart_policy.name.empty()) host.restart_policy = u.restart_policy;
  return Ok();
}

oci::Resources UpdateResources(const HostConfig& update) {
  oci::Resources r = ResourcesOf(update);
  r.devices.clear();
  // ResourcesOf gives a memory limit its default swap; an update leaves the swap as it is.
  if (update.memory_swap != 0) {
    r.memory = r.memory.value_or(oci::MemoryResources{});
    r.memory->swap = update.memory_swap;
  } else if (r.memory) {
    r.memory->swap.reset();
  }
  if (update.pids_limit && *update.pids_limit <= 0) r.pids = oci::PidsResources{-1};
  return r;
}

}  // namespace berth::daemon::container
