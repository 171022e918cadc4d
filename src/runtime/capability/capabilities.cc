#include "runtime/capability/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>

#include "base/file.h"
#include "base/strings.h"
#include "oci/linux_names.h"

namespace berth::runtime {
namespace {

Result<uint64_t> Mask(const std::vector<std::string>& names, const char* set, int last_cap,
                      uint64_t available, std::vector<std::string>* ungranted) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    std::optional<int> n = oci::CapabilityNumber(name);
    if (!n) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("process.capabilities.{}: unknown capability \"{}\"", set, name));
    }
    if (*n > last_cap || !(available & (uint64_t{1} << *n))) {
      if (std::find(ungranted->begin(), ungranted->end(), name) == ungranted->end()) {
        ungranted->push_back(name);
      }
      continue;
    }
    mask |= uint64_t{1} << *n;
  }
  return mask;
}

}  // namespace

Result<CapabilitySets> PlanCapabilities(const std::optional<oci::Capabilities>& caps, int last_cap,
                                        uint64_t available) {
  CapabilitySets sets;
  sets.last_cap = last_cap;
  if (!caps) return sets;
  std::vector<std::string>* out = &sets.ungranted;
  BERTH_ASSIGN_OR_RETURN(sets.bounding, Mask(caps->bounding, "bounding", last_cap, available, out));
  BERTH_ASSIGN_OR_RETURN(sets.effective,
                         Mask(caps->effective, "effective", last_cap, available, out));
  BERTH_ASSIGN_OR_RETURN(sets.inheritable,
                         Mask(caps->inheritable, "inheritable", last_cap, available, out));
  BERTH_ASSIGN_OR_RETURN(sets.permitted,
                         Mask(caps->permitted, "permitted", last_cap, available, out));
  BERTH_ASSIGN_OR_RETURN(sets.ambient, Mask(caps->ambient, "ambient", last_cap, available, out));
  return sets;
}

Result<int> KernelLastCap() {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/sys/kernel/cap_last_cap"));
  BERTH_ASSIGN_OR_RETURN(uint64_t n, ParseUint64(TrimSpace(text)));
  return static_cast<int>(n);
}

uint64_t CurrentBoundingSet(int last_cap) {
  uint64_t mask = 0;
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) mask |= uint64_t{1} << cap;
  }
  return mask;
}

int DropBounding(const CapabilitySets& sets) noexcept {
  for (int cap = 0; cap <= sets.last_cap; ++cap) {
    if (sets.bounding & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -errno;
  }
  return 0;
}

int ApplySets(const CapabilitySets& sets) noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) < 0) return -errno;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return -errno;
  }
  for (int cap = 0; cap <= sets.last_cap; ++cap) {
    if (!(sets.ambient & (uint64_t{1} << cap))) continue;
    // Ambient needs the capability in permitted and inheritable; runc ignores the failure too.
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  return 0;
}

}  // namespace berth::runtime
