// Pure planning of cgroup limits: which interface files to write, with which values, for an OCI
// linux.resources on cgroup v1, on cgroup v2 and on a hybrid host. Nothing here does I/O; the
// Cgroup class carries the writes out. Device rules are planned here for v1 only (devices.allow
// and devices.deny); on v2 they become a BPF program (device_filter.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime::cgroup {

struct FileWrite {
  std::string controller;  // v1: the controller whose hierarchy holds the file; "" on v2
  std::string file;        // name inside the container's cgroup directory
  std::string value;
  // Written instead when `file` does not exist (blkio.bfq.weight for blkio.weight).
  std::string fallback;
  // When neither file exists the write is skipped: the value is what the kernel does anyway, or
  // the setting is deprecated and ignored by the kernel.
  bool optional = false;

  bool operator==(const FileWrite&) const = default;
};

// PlanV1 maps resources to v1 files, in the order they must be written: memory.limit_in_bytes
// before memory.memsw.limit_in_bytes, cpu.cfs_period_us before cpu.cfs_quota_us, "a" to
// devices.deny before the device rules that follow a deny-all. A zero limit, reservation, swap,
// shares, quota or period means "not set" (as runc reads it). Fails with kInvalidArgument for
// values the kernel would misread and for linux.resources.unified, which needs cgroup v2.
Result<std::vector<FileWrite>> PlanV1(const oci::Resources& resources);

// PlanV2 maps resources to v2 files; the device rules are left out (see device_filter.h). Settings
// v2 has no file for (memory.kernel, memory.kernelTCP, memory.swappiness, disableOOMKiller,
// useHierarchy, blockIO leaf weights) are ignored, as runc does; cpu realtime and network
// settings fail with kInvalidArgument. unified entries are written verbatim after the rest.
Result<std::vector<FileWrite>> PlanV2(const oci::Resources& resources);

// On a hybrid host each controller is used where it is available: in its v1 hierarchy when one
// is mounted, else in the unified hierarchy when that lists it; unified entries always go to the
// unified hierarchy. Fails with kFailedPrecondition naming a controller that neither has.
struct HybridPlan {
  std::vector<FileWrite> v1;
  std::vector<FileWrite> v2;
};
Result<HybridPlan> PlanHybrid(const oci::Resources& resources,
                              const std::vector<std::string>& v1_controllers,
                              const std::vector<std::string>& v2_controllers);

// The conversions runc and crun use: cpu.shares (2..262144) to cpu.weight (1..10000), and
// blkio.weight (10..1000) to io.weight (1..10000).
uint64_t CpuWeightFromShares(uint64_t shares);
uint64_t IoWeightFromBlkioWeight(uint64_t weight);

// V2ControllerFor is the v2 name of a v1 controller ("io" for "blkio").
std::string_view V2ControllerFor(std::string_view v1_controller);

}  // namespace berth::runtime::cgroup
