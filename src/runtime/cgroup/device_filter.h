// Device access rules of a container (linux.resources.devices). The rules are normalized once;
// cgroup v1 writes them to devices.allow/devices.deny (plan.h), cgroup v2 enforces them with a
// BPF_PROG_TYPE_CGROUP_DEVICE program generated here and attached to the container's directory.
// DeviceFilterProgram is pure; AttachDeviceFilter needs CAP_SYS_ADMIN. No shared state.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime::cgroup {

// Access bits, as the kernel's BPF_DEVCG_ACC_* values.
inline constexpr uint8_t kAccessMknod = BPF_DEVCG_ACC_MKNOD;
inline constexpr uint8_t kAccessRead = BPF_DEVCG_ACC_READ;
inline constexpr uint8_t kAccessWrite = BPF_DEVCG_ACC_WRITE;
inline constexpr uint8_t kAccessAll = kAccessMknod | kAccessRead | kAccessWrite;

struct DeviceRule {
  bool allow = false;
  char type = 'a';     // 'a' (block and char), 'b' or 'c'
  int64_t major = -1;  // -1: any
  int64_t minor = -1;
  uint8_t access = kAccessAll;

  // Matches every device and every access.
  bool All() const { return type == 'a' && major < 0 && minor < 0 && access == kAccessAll; }
  bool operator==(const DeviceRule&) const = default;
};

// NormalizeDeviceRules checks the spec's rules (type a/b/c or empty, access of r/w/m, empty meaning
// all, major/minor absent or negative meaning any) and fails with kInvalidArgument naming the rule.
Result<std::vector<DeviceRule>> NormalizeDeviceRules(
    const std::vector<oci::DeviceCgroupRule>& rules);

// DeviceFilterProgram compiles the rules to a cgroup device program with the spec's semantics:
// each requested access bit is allowed when the last rule matching the device and that bit
// allows it; with no matching rule it is denied. The program returns 1 to allow, 0 to deny.
std::vector<bpf_insn> DeviceFilterProgram(const std::vector<DeviceRule>& rules);

// AttachDeviceFilter loads the program and attaches it to the cgroup2 directory with
// BPF_F_ALLOW_MULTI, then detaches the device programs attached there before (an update replaces
// them; the new one is in force before the old ones go). The verifier's log is in the error.
Status AttachDeviceFilter(const std::string& cgroup_dir, const std::vector<bpf_insn>& program);

}  // namespace berth::runtime::cgroup
