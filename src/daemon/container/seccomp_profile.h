// docker's seccomp profiles — the default one and those given with --security-opt
// seccomp=PROFILE — planned into a container's linux.seccomp as dockerd plans them: a rule is
// kept only when its includes hold and its excludes do not (the container's capabilities, the
// host's architecture, the running kernel's version), and the architectures are the archMap
// entry of the host's. Pure apart from CurrentSeccompHost; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::daemon::container {

// What a profile's rules are checked against besides the capabilities.
struct SeccompHost {
  std::string arch;  // Go's name of the machine's architecture: amd64, arm64, 386, ...
  int kernel_major = 0;
  int kernel_minor = 0;
};

// CurrentSeccompHost reads the machine's architecture and kernel version (uname).
SeccompHost CurrentSeccompHost();

// One rule of a profile, in docker's profile format.
struct SeccompCondition {
  std::vector<std::string> caps;    // every one must be held (includes) / none (excludes)
  std::vector<std::string> arches;  // Go names
  std::string min_kernel;           // "4.8"; includes only
};
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<oci::SeccompArg> args;
  SeccompCondition includes;
  SeccompCondition excludes;
};
struct SeccompArchMap {
  std::string architecture;  // SCMP_ARCH_*
  std::vector<std::string> sub_architectures;
};
struct SeccompProfile {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // the older form of archMap
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;
  std::vector<SeccompRule> syscalls;
};

// DecodeSeccompProfile reads a profile in docker's JSON format; errors are kInvalidArgument
// naming the field ("seccomp profile: syscalls[3].action: ...").
Result<SeccompProfile> DecodeSeccompProfile(std::string_view json);

// DefaultSeccompProfile is docker's default profile: everything a container normally needs is
// allowed; namespaces, mounts, kernel modules, clock and keyring changes and the like are
// refused with EPERM unless the container holds the capability they need.
const SeccompProfile& DefaultSeccompProfile();

// PlanSeccomp is the OCI linux.seccomp of profile for a container holding caps (CAP_* names).
oci::Seccomp PlanSeccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                         const SeccompHost& host);

}  // namespace berth::daemon::container
