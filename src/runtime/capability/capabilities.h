// Capability plan of a process: the five sets as bit masks, computed from the spec's names before
// the clone, and applied by the container process itself just before exec (between clone and exec:
// no allocation, returns -errno).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t ambient = 0;
  int last_cap = 0;  // the kernel's highest capability number
  // Names asked for that cannot be granted, once each: the caller logs them as a warning
  // (runtime-spec config.md, process.capabilities). Not used by the container process.
  std::vector<std::string> ungranted;
};

// PlanCapabilities turns names into masks. Capabilities the kernel (last_cap) or this process's own
// bounding set (available) lacks cannot be granted: they are left out and listed in `ungranted`
// (the spec asks runtimes not to fail then). An unknown name is an error. Without a capabilities
// section the process gets none.
Result<CapabilitySets> PlanCapabilities(const std::optional<oci::Capabilities>& caps, int last_cap,
                                        uint64_t available);

// The kernel's /proc/sys/kernel/cap_last_cap, and this process's bounding set.
Result<int> KernelLastCap();
uint64_t CurrentBoundingSet(int last_cap);

// DropBounding removes every capability not in sets.bounding from the bounding set (needs
// CAP_SETPCAP, so it runs before the switch of user). Returns 0 or -errno.
int DropBounding(const CapabilitySets& sets) noexcept;
// ApplySets sets permitted, effective, inheritable and ambient; runs after the switch of user, with
// PR_SET_KEEPCAPS set before it. Returns 0 or -errno.
int ApplySets(const CapabilitySets& sets) noexcept;

}  // namespace berth::runtime
