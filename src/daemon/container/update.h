// docker update: the body of POST /containers/{id}/update (docker's UpdateConfig: the resources
// and the restart policy, with HostConfig's field names), merged into a container's HostConfig
// as docker merges it, and the cgroup limits a running container gets. Pure, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "daemon/container/config.h"
#include "oci/runtime_spec.h"

namespace berth::daemon::container {

// DecodeUpdate reads the body into a HostConfig holding only what it sets (zero: unchanged),
// checked as a create's limits are; errors are kInvalidArgument naming the field.
[[nodiscard]] Result<HostConfig> DecodeUpdate(const nlohmann::json& body);

// MergeUpdate sets the fields update sets in host, with docker's refusals (kConflict): NanoCpus
// against a CpuPeriod or CpuQuota already set and the reverse, a memory limit above the
// memory+swap limit without a new one, a restart policy for an auto-removed container. A memory
// limit set without MemorySwap keeps the swap limit the container had (docker's default, twice
// the memory, written out).
Status MergeUpdate(HostConfig& host, const HostConfig& update);

// UpdateResources is linux.resources with only what update sets, for a running container's
// cgroup: no device rules, the swap limit only when MemorySwap is given, PidsLimit 0 or -1 as
// no limit.
oci::Resources UpdateResources(const HostConfig& update);

}  // namespace berth::daemon::container
