// The Linux names the OCI runtime-spec uses in config.json, mapped to the kernel's numbers:
// capabilities, rlimits, namespace types, and the seccomp, scheduler and I/O priority vocabulary
// (as libseccomp and the spec spell it). Used by validation, by the runtime to apply a spec and by
// the `features` command. Tables are immutable statics: every function is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::oci {

// Capabilities: "CAP_CHOWN" <-> 0 ... "CAP_CHECKPOINT_RESTORE" <-> 40.
std::optional<int> CapabilityNumber(std::string_view name);
// CapabilityName returns "" for a number that has no name.
std::string_view CapabilityName(int number);
int LastKnownCapability();
const std::vector<std::string>& AllCapabilityNames();  // ordered by number

// Resource limits: "RLIMIT_NOFILE" -> RLIMIT_NOFILE, all 16 of <sys/resource.h>.
std::optional<int> RlimitNumber(std::string_view name);
const std::vector<std::string>& AllRlimitNames();

// Namespace types of linux.namespaces[].type: "network" -> CLONE_NEWNET, ... "time" ->
// CLONE_NEWTIME.
std::optional<uint64_t> NamespaceCloneFlag(std::string_view type);
const std::vector<std::string>& AllNamespaceTypes();

// Seccomp vocabulary, as libseccomp names it (no libseccomp dependency here).
const std::vector<std::string>& SeccompActions();        // SCMP_ACT_*
const std::vector<std::string>& SeccompOperators();      // SCMP_CMP_*
const std::vector<std::string>& SeccompArchitectures();  // SCMP_ARCH_*
const std::vector<std::string>& SeccompFlags();          // SECCOMP_FILTER_FLAG_*

// process.scheduler and process.ioPriority vocabulary.
const std::vector<std::string>& SchedulerPolicies();  // SCHED_*
const std::vector<std::string>& SchedulerFlags();     // SCHED_FLAG_*
const std::vector<std::string>& IoPriorityClasses();  // IOPRIO_CLASS_*

// linux.personality.domain values.
const std::vector<std::string>& PersonalityDomains();

// Contains reports whether names holds name; for checking against the lists above.
bool Contains(const std::vector<std::string>& names, std::string_view name);

}  // namespace berth::oci
