#include "oci/linux_names.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>

namespace berth::oci {
namespace {

struct NamedNumber {
  std::string_view name;
  uint64_t number;
};

// The names are spelled by the preprocessor from the kernel's own macros, so a name and its
// number cannot disagree.
#define BERTH_NAMED(constant) \
  NamedNumber { #constant, static_cast < uint64_t>(constant) }

// Ordered by number: capability n is at index n.
constexpr std::array kCapabilities = {
    BERTH_NAMED(CAP_CHOWN),
    BERTH_NAMED(CAP_DAC_OVERRIDE),
    BERTH_NAMED(CAP_DAC_READ_SEARCH),
    BERTH_NAMED(CAP_FOWNER),
    BERTH_NAMED(CAP_FSETID),
    BERTH_NAMED(CAP_KILL),
    BERTH_NAMED(CAP_SETGID),
    BERTH_NAMED(CAP_SETUID),
    BERTH_NAMED(CAP_SETPCAP),
    BERTH_NAMED(CAP_LINUX_IMMUTABLE),
    BERTH_NAMED(CAP_NET_BIND_SERVICE),
    BERTH_NAMED(CAP_NET_BROADCAST),
    BERTH_NAMED(CAP_NET_ADMIN),
    BERTH_NAMED(CAP_NET_RAW),
    BERTH_NAMED(CAP_IPC_LOCK),
    BERTH_NAMED(CAP_IPC_OWNER),
    BERTH_NAMED(CAP_SYS_MODULE),
    BERTH_NAMED(CAP_SYS_RAWIO),
    BERTH_NAMED(CAP_SYS_CHROOT),
    BERTH_NAMED(CAP_SYS_PTRACE),
    BERTH_NAMED(CAP_SYS_PACCT),
    BERTH_NAMED(CAP_SYS_ADMIN),
    BERTH_NAMED(CAP_SYS_BOOT),
    BERTH_NAMED(CAP_SYS_NICE),
    BERTH_NAMED(CAP_SYS_RESOURCE),
    BERTH_NAMED(CAP_SYS_TIME),
    BERTH_NAMED(CAP_SYS_TTY_CONFIG),
    BERTH_NAMED(CAP_MKNOD),
    BERTH_NAMED(CAP_LEASE),
    BERTH_NAMED(CAP_AUDIT_WRITE),
    BERTH_NAMED(CAP_AUDIT_CONTROL),
    BERTH_NAMED(CAP_SETFCAP),
    BERTH_NAMED(CAP_MAC_OVERRIDE),
    BERTH_NAMED(CAP_MAC_ADMIN),
    BERTH_NAMED(CAP_SYSLOG),
    BERTH_NAMED(CAP_WAKE_ALARM),
    BERTH_NAMED(CAP_BLOCK_SUSPEND),
    BERTH_NAMED(CAP_AUDIT_READ),
    BERTH_NAMED(CAP_PERFMON),
    BERTH_NAMED(CAP_BPF),
    BERTH_NAMED(CAP_CHECKPOINT_RESTORE),
};
static_assert(kCapabilities.size() == CAP_LAST_CAP + 1, "a capability is missing from the table");

constexpr bool CapabilitiesInOrder() {
  for (size_t i = 0; i < kCapabilities.size(); ++i) {
    if (kCapabilities[i].number != i) return false;
  }
  return true;
}
static_assert(CapabilitiesInOrder(), "capability n must be at index n");

constexpr std::array kRlimits = {
    BERTH_NAMED(RLIMIT_CPU),      BERTH_NAMED(RLIMIT_FSIZE),  BERTH_NAMED(RLIMIT_DATA),
    BERTH_NAMED(RLIMIT_STACK),    BERTH_NAMED(RLIMIT_CORE),   BERTH_NAMED(RLIMIT_RSS),
    BERTH_NAMED(RLIMIT_NPROC),    BERTH_NAMED(RLIMIT_NOFILE), BERTH_NAMED(RLIMIT_MEMLOCK),
    BERTH_NAMED(RLIMIT_AS),       BERTH_NAMED(RLIMIT_LOCKS),  BERTH_NAMED(RLIMIT_SIGPENDING),
    BERTH_NAMED(RLIMIT_MSGQUEUE), BERTH_NAMED(RLIMIT_NICE),   BERTH_NAMED(RLIMIT_RTPRIO),
    BERTH_NAMED(RLIMIT_RTTIME),
};
static_assert(kRlimits.size() == RLIMIT_NLIMITS, "an rlimit is missing from the table");

#undef BERTH_NAMED

constexpr std::array<NamedNumber, 8> kNamespaces = {{
    {"pid", CLONE_NEWPID},
    {"network", CLONE_NEWNET},
    {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
}};

template <size_t N>
std::optional<uint64_t> Find(const std::array<NamedNumber, N>& table, std::string_view name) {
  for (const NamedNumber& entry : table) {
    if (entry.name == name) return entry.number;
  }
  return std::nullopt;
}

template <size_t N>
std::vector<std::string> Names(const std::array<NamedNumber, N>& table) {
  std::vector<std::string> names;
  names.reserve(N);
  for (const NamedNumber& entry : table) names.emplace_back(entry.name);
  return names;
}

}  // namespace

std::optional<int> CapabilityNumber(std::string_view name) {
  std::optional<uint64_t> number = Find(kCapabilities, name);
  if (!number) return std::nullopt;
  return static_cast<int>(*number);
}

std::string_view CapabilityName(int number) {
  if (number < 0 || number >= static_cast<int>(kCapabilities.size())) return {};
  return kCapabilities[static_cast<size_t>(number)].name;
}

int LastKnownCapability() { return static_cast<int>(kCapabilities.size()) - 1; }

const std::vector<std::string>& AllCapabilityNames() {
  static const std::vector<std::string> names = Names(kCapabilities);
  return names;
}

std::optional<int> RlimitNumber(std::string_view name) {
  std::optional<uint64_t> number = Find(kRlimits, name);
  if (!number) return std::nullopt;
  return static_cast<int>(*number);
}

const std::vector<std::string>& AllRlimitNames() {
  static const std::vector<std::string> names = Names(kRlimits);
  return names;
}

std::optional<uint64_t> NamespaceCloneFlag(std::string_view type) {
  return Find(kNamespaces, type);
}

const std::vector<std::string>& AllNamespaceTypes() {
  static const std::vector<std::string> names = Names(kNamespaces);
  return names;
}

const std::vector<std::string>& SeccompActions() {
  static const std::vector<std::string> names = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
  };
  return names;
}

const std::vector<std::string>& SeccompOperators() {
  static const std::vector<std::string> names = {
      "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
      "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
  };
  return names;
}

// The architectures libseccomp 2.5/2.6 can build filters for.
const std::vector<std::string>& SeccompArchitectures() {
  static const std::vector<std::string> names = {
      "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
      "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
      "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
      "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
  };
  return names;
}

const std::vector<std::string>& SeccompFlags() {
  static const std::vector<std::string> names = {
      "SECCOMP_FILTER_FLAG_TSYNC",
      "SECCOMP_FILTER_FLAG_LOG",
      "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
      "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  };
  return names;
}

const std::vector<std::string>& SchedulerPolicies() {
  static const std::vector<std::string> names = {
      "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
      "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
  };
  return names;
}

const std::vector<std::string>& SchedulerFlags() {
  static const std::vector<std::string> names = {
      "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
      "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
      "SCHED_FLAG_UTIL_CLAMP_MAX",
  };
  return names;
}

const std::vector<std::string>& IoPriorityClasses() {
  static const std::vector<std::string> names = {
      "IOPRIO_CLASS_RT",
      "IOPRIO_CLASS_BE",
      "IOPRIO_CLASS_IDLE",
  };
  return names;
}

const std::vector<std::string>& PersonalityDomains() {
  static const std::vector<std::string> names = {"LINUX", "LINUX32"};
  return names;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace berth::oci
