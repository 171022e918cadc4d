#include "oci/validate.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "oci/linux_names.h"

namespace berth::oci {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string Key(std::string_view path, std::string_view key) {
  return std::string(path) + "[\"" + std::string(key) + "\"]";
}

tl::unexpected<Error> Invalid(std::string_view path, std::string_view problem) {
  return Fail(ErrorKind::kInvalidArgument,
              "config.json: " + std::string(path) + ": " + std::string(problem));
}

berth::Status CheckAbsolute(std::string_view path, std::string_view value) {
  if (!value.empty() && value.front() == '/') return Ok();
  return Invalid(path, Quote(value) + " is not an absolute path");
}

// The namespaces of linux.namespaces by type; valid only after CheckNamespaces passed.
class NamespaceSet {
 public:
  explicit NamespaceSet(const Spec& spec) {
    if (!spec.linux) return;
    for (const Namespace& ns : spec.linux->namespaces) by_type_.emplace(ns.type, &ns);
  }

  // Has: the container gets a namespace of this type apart from the runtime's, new or joined.
  bool Has(std::string_view type) const { return by_type_.find(type) != by_type_.end(); }

  // IsNew: the runtime creates the namespace rather than joining one at a path.
  bool IsNew(std::string_view type) const {
    auto it = by_type_.find(type);
    return it != by_type_.end() && it->second->path.empty();
  }

 private:
  std::map<std::string, const Namespace*, std::less<>> by_type_;
};

berth::Status CheckVersion(const Spec& spec) {
  if (spec.oci_version.empty()) return Invalid("ociVersion", "missing");
  if (!spec.oci_version.starts_with("1.")) {
    return Invalid("ociVersion", "unsupported version " + Quote(spec.oci_version) + ", want 1.x");
  }
  return Ok();
}

berth::Status CheckRoot(const Spec& spec) {
  if (!spec.root) return Invalid("root", "missing");
  if (spec.root->path.empty()) return Invalid("root.path", "empty");
  return Ok();
}

berth::Status CheckCapabilities(const Capabilities& caps) {
  const std::pair<const char*, const std::vector<std::string>*> sets[] = {
      {"bounding", &caps.bounding},       {"effective", &caps.effective},
      {"inheritable", &caps.inheritable}, {"permitted", &caps.permitted},
      {"ambient", &caps.ambient},
  };
  for (const auto& [set, names] : sets) {
    for (size_t i = 0; i < names->size(); ++i) {
      if (CapabilityNumber((*names)[i])) continue;
      return Invalid(Index(std::string("process.capabilities.") + set, i),
                     "unknown capability " + Quote((*names)[i]));
    }
  }
  return Ok();
}

berth::Status CheckRlimits(const std::vector<Rlimit>& rlimits) {
  std::set<std::string> seen;
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const Rlimit& rlimit = rlimits[i];
    std::string path = Index("process.rlimits", i);
    if (!RlimitNumber(rlimit.type)) {
      return Invalid(path + ".type", "unknown rlimit " + Quote(rlimit.type));
    }
    if (!seen.insert(rlimit.type).second) {
      return Invalid(path + ".type", "duplicate rlimit " + Quote(rlimit.type));
    }
    if (rlimit.soft > rlimit.hard) {
      return Invalid(path, "soft limit " + std::to_string(rlimit.soft) + " exceeds hard limit " +
                               std::to_string(rlimit.hard));
    }
  }
  return Ok();
}

// The ranges sched_setattr(2) accepts for each policy.
berth::Status CheckScheduler(const Scheduler& s) {
  if (!Contains(SchedulerPolicies(), s.policy)) {
    return Invalid("process.scheduler.policy", "unknown scheduling policy " + Quote(s.policy));
  }
  for (size_t i = 0; i < s.flags.size(); ++i) {
    if (Contains(SchedulerFlags(), s.flags[i])) continue;
    return Invalid(Index("process.scheduler.flags", i), "unknown flag " + Quote(s.flags[i]));
  }
  bool fair = s.policy == "SCHED_OTHER" || s.policy == "SCHED_BATCH";
  if (fair && (s.nice < -20 || s.nice > 19)) {
    return Invalid("process.scheduler.nice",
                   "must be between -20 and 19, got " + std::to_string(s.nice));
  }
  bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
  if (realtime && (s.priority < 1 || s.priority > 99)) {
    return Invalid("process.scheduler.priority", "must be between 1 and 99 for " + s.policy +
                                                     ", got " + std::to_string(s.priority));
  }
  if (!realtime && s.priority != 0) {
    return Invalid("process.scheduler.priority", "only SCHED_FIFO and SCHED_RR take a priority");
  }
  if (s.policy != "SCHED_DEADLINE" && (s.runtime != 0 || s.deadline != 0 || s.period != 0)) {
    return Invalid("process.scheduler", "runtime, deadline and period are for SCHED_DEADLINE only");
  }
  return Ok();
}

berth::Status CheckProcess(const Spec& spec) {
  if (!spec.process) return Invalid("process", "missing");
  const Process& process = *spec.process;
  if (process.args.empty()) return Invalid("process.args", "empty: the program to run is needed");
  BERTH_TRY(CheckAbsolute("process.cwd", process.cwd));
  if (process.capabilities) BERTH_TRY(CheckCapabilities(*process.capabilities));
  BERTH_TRY(CheckRlimits(process.rlimits));
  if (process.oom_score_adj && (*process.oom_score_adj < -1000 || *process.oom_score_adj > 1000)) {
    return Invalid("process.oomScoreAdj",
                   "must be between -1000 and 1000, got " + std::to_string(*process.oom_score_adj));
  }
  if (process.scheduler) BERTH_TRY(CheckScheduler(*process.scheduler));
  if (const std::optional<IoPriority>& io = process.io_priority) {
    if (!Contains(IoPriorityClasses(), io->class_name)) {
      return Invalid("process.ioPriority.class", "unknown class " + Quote(io->class_name));
    }
    if (io->priority < 0 || io->priority > 7) {
      return Invalid("process.ioPriority.priority",
                     "must be between 0 and 7, got " + std::to_string(io->priority));
    }
  }
  return Ok();
}

berth::Status CheckIdMappings(const std::vector<IdMapping>& mappings, std::string_view path) {
  constexpr uint64_t kIdLimit = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  for (size_t i = 0; i < mappings.size(); ++i) {
    const IdMapping& m = mappings[i];
    if (m.size == 0) return Invalid(Index(path, i) + ".size", "must be greater than 0");
    if (uint64_t{m.container_id} + m.size > kIdLimit || uint64_t{m.host_id} + m.size > kIdLimit) {
      return Invalid(Index(path, i), "range goes past the largest 32-bit id");
    }
  }
  return Ok();
}

berth::Status CheckMount(const Mount& mount, const std::string& path) {
  if (mount.destination.empty()) return Invalid(path + ".destination", "empty");
  bool bind = false;
  for (size_t i = 0; i < mount.options.size(); ++i) {
    if (mount.options[i].empty()) return Invalid(Index(path + ".options", i), "empty option");
    bind = bind || mount.options[i] == "bind" || mount.options[i] == "rbind";
  }
  if (mount.uid_mappings.empty() && mount.gid_mappings.empty()) return Ok();
  if (mount.uid_mappings.empty() || mount.gid_mappings.empty()) {
    return Invalid(path + (mount.uid_mappings.empty() ? ".uidMappings" : ".gidMappings"),
                   "an idmapped mount needs both uidMappings and gidMappings");
  }
  if (!bind) return Invalid(path + ".uidMappings", "only bind mounts can be idmapped");
  BERTH_TRY(CheckIdMappings(mount.uid_mappings, path + ".uidMappings"));
  return CheckIdMappings(mount.gid_mappings, path + ".gidMappings");
}

berth::Status CheckHooks(const Hooks& hooks) {
  const std::pair<const char*, const std::vector<Hook>*> stages[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop},
  };
  for (const auto& [stage, list] : stages) {
    for (size_t i = 0; i < list->size(); ++i) {
      const Hook& hook = (*list)[i];
      std::string path = Index(std::string("hooks.") + stage, i);
      BERTH_TRY(CheckAbsolute(path + ".path", hook.path));
      if (hook.timeout && *hook.timeout <= 0) {
        return Invalid(path + ".timeout",
                       "must be greater than zero, got " + std::to_string(*hook.timeout));
      }
    }
  }
  return Ok();
}

berth::Status CheckNamespaces(const Linux& linux) {
  std::set<std::string> seen;
  for (size_t i = 0; i < linux.namespaces.size(); ++i) {
    const Namespace& ns = linux.namespaces[i];
    std::string path = Index("linux.namespaces", i);
    if (!NamespaceCloneFlag(ns.type)) {
      return Invalid(path + ".type", "unknown namespace type " + Quote(ns.type));
    }
    if (!seen.insert(ns.type).second) {
      return Invalid(path + ".type", "duplicate namespace type " + Quote(ns.type));
    }
    if (!ns.path.empty()) BERTH_TRY(CheckAbsolute(path + ".path", ns.path));
  }
  return Ok();
}

// Mappings are written to the uid_map/gid_map of a user namespace the runtime creates; a joined
// one has its maps already, and a new one without maps leaves every id unmapped.
berth::Status CheckUserNamespace(const Linux& linux, const NamespaceSet& namespaces) {
  bool has_mappings = !linux.uid_mappings.empty() || !linux.gid_mappings.empty();
  const char* mapping_path = linux.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings";
  if (!namespaces.IsNew("user")) {
    if (!has_mappings) return Ok();
    return Invalid(mapping_path, namespaces.Has("user")
                                     ? "mappings cannot be applied to a joined user namespace"
                                     : "mappings need a user namespace in linux.namespaces");
  }
  if (linux.uid_mappings.empty()) {
    return Invalid("linux.uidMappings", "a new user namespace needs uid mappings");
  }
  if (linux.gid_mappings.empty()) {
    return Invalid("linux.gidMappings", "a new user namespace needs gid mappings");
  }
  BERTH_TRY(CheckIdMappings(linux.uid_mappings, "linux.uidMappings"));
  return CheckIdMappings(linux.gid_mappings, "linux.gidMappings");
}

berth::Status CheckTimeOffsets(const Linux& linux, const NamespaceSet& namespaces) {
  if (linux.time_offsets.empty()) return Ok();
  if (!namespaces.IsNew("time")) {
    return Invalid("linux.timeOffsets", namespaces.Has("time")
                                            ? "offsets cannot be applied to a joined time namespace"
                                            : "offsets need a time namespace in linux.namespaces");
  }
  for (const auto& [clock, offset] : linux.time_offsets) {
    std::string path = Key("linux.timeOffsets", clock);
    if (clock != "monotonic" && clock != "boottime") {
      return Invalid(path, "unknown clock, want monotonic or boottime");
    }
    if (offset.nanosecs >= 1'000'000'000) {
      return Invalid(path + ".nanosecs", "must be below 1000000000");
    }
  }
  return Ok();
}

berth::Status CheckUts(const Spec& spec, const NamespaceSet& namespaces) {
  if (namespaces.Has("uts")) return Ok();
  if (!spec.hostname.empty())
    return Invalid("hostname", "needs a uts namespace in linux.namespaces");
  if (!spec.domainname.empty()) {
    return Invalid("domainname", "needs a uts namespace in linux.namespaces");
  }
  return Ok();
}

// sysctl(8) also accepts '/' as the separator ("net/ipv4/ip_forward"); then '.' may appear inside
// a component (an interface "eth0.100"), so the two are swapped to read the name with dots.
std::string SysctlName(std::string_view key) {
  std::string name(key);
  size_t first = name.find_first_of("./");
  if (first == std::string::npos || name[first] == '.') return name;
  for (char& c : name) {
    if (c == '.' || c == '/') c = c == '.' ? '/' : '.';
  }
  return name;
}

bool IsIpcSysctl(std::string_view name) {
  static const std::set<std::string, std::less<>> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  return kIpc.contains(name) || name.starts_with("fs.mqueue.");
}

// /proc/sys is only partly namespaced: a sysctl is allowed when the namespace that owns it is
// the container's, since otherwise writing it would change the host.
berth::Status CheckSysctl(const Spec& spec, const NamespaceSet& namespaces) {
  for (const auto& [key, value] : spec.linux->sysctl) {
    std::string name = SysctlName(key);
    std::string path = Key("linux.sysctl", key);
    std::string_view owner;
    if (IsIpcSysctl(name)) {
      owner = "ipc";
    } else if (name.starts_with("net.")) {
      owner = "network";
    } else if (name == "kernel.hostname" || name == "kernel.domainname") {
      owner = "uts";
      if (name == "kernel.hostname" && !spec.hostname.empty()) {
        return Invalid(path, "conflicts with hostname");
      }
    } else if (name.starts_with("user.")) {
      owner = "user";
    } else {
      return Invalid(path, "not namespaced: setting it would change the host");
    }
    if (!namespaces.Has(owner)) {
      return Invalid(path, std::string(owner == "ipc" ? "needs an " : "needs a ") +
                               std::string(owner) +
                               " namespace in linux.namespaces, or it would change the host's");
    }
  }
  return Ok();
}

berth::Status CheckDevices(const Linux& linux) {
  for (size_t i = 0; i < linux.devices.size(); ++i) {
    const Device& device = linux.devices[i];
    std::string path = Index("linux.devices", i);
    if (device.type != "c" && device.type != "b" && device.type != "u" && device.type != "p") {
      return Invalid(path + ".type",
                     "unknown device type " + Quote(device.type) + ", want c, b, u or p");
    }
    BERTH_TRY(CheckAbsolute(path + ".path", device.path));
  }
  return Ok();
}

berth::Status CheckDeviceRules(const std::vector<DeviceCgroupRule>& rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const DeviceCgroupRule& rule = rules[i];
    std::string path = Index("linux.resources.devices", i);
    if (!rule.type.empty() && rule.type != "a" && rule.type != "c" && rule.type != "b") {
      return Invalid(path + ".type",
                     "unknown device type " + Quote(rule.type) + ", want a, c or b");
    }
    if (rule.access.find_first_not_of("rwm") != std::string::npos) {
      return Invalid(path + ".access", Quote(rule.access) + " may only contain r, w and m");
    }
  }
  return Ok();
}

berth::Status CheckMemory(const MemoryResources& memory) {
  const std::pair<const char*, const std::optional<int64_t>*> limits[] = {
      {"limit", &memory.limit},   {"reservation", &memory.reservation}, {"swap", &memory.swap},
      {"kernel", &memory.kernel}, {"kernelTCP", &memory.kernel_tcp},
  };
  for (const auto& [name, value] : limits) {
    if (*value && **value < -1) {
      return Invalid(std::string("linux.resources.memory.") + name,
                     "must be -1 (unlimited) or a byte count, got " + std::to_string(**value));
    }
  }
  // The swap limit counts memory plus swap, so it cannot be below the memory limit.
  if (memory.limit && memory.swap && *memory.limit > 0 && *memory.swap > 0 &&
      *memory.swap < *memory.limit) {
    return Invalid("linux.resources.memory.swap",
                   "memory+swap limit " + std::to_string(*memory.swap) +
                       " is below the memory limit " + std::to_string(*memory.limit));
  }
  // UINT64_MAX is how callers spell Docker's "-1: inherit" in this unsigned field.
  if (memory.swappiness && *memory.swappiness != std::numeric_limits<uint64_t>::max() &&
      *memory.swappiness > 100) {
    return Invalid("linux.resources.memory.swappiness",
                   "must be between 0 and 100, got " + std::to_string(*memory.swappiness));
  }
  return Ok();
}

// A cpuset list: "0-3,8,10-11".
bool IsCpuList(std::string_view list) {
  if (list.empty()) return true;
  for (const std::string& part : Split(list, ',')) {
    size_t dash = part.find('-');
    Result<uint64_t> first = ParseUint64(std::string_view(part).substr(0, dash));
    if (!first) return false;
    if (dash == std::string::npos) continue;
    Result<uint64_t> last = ParseUint64(std::string_view(part).substr(dash + 1));
    if (!last || *last < *first) return false;
  }
  return true;
}

// The ranges the kernel's cpu controller accepts (kernel/sched/core.c): writes outside them
// fail with EINVAL or are silently clamped, which runc reports as an error.
berth::Status CheckCpu(const CpuResources& cpu) {
  const std::string path = "linux.resources.cpu";
  if (cpu.shares && *cpu.shares != 0 && (*cpu.shares < 2 || *cpu.shares > 262144)) {
    return Invalid(path + ".shares",
                   "must be between 2 and 262144, got " + std::to_string(*cpu.shares));
  }
  if (cpu.quota && *cpu.quota > 0 && *cpu.quota < 1000) {
    return Invalid(path + ".quota", "must be -1 (unlimited) or at least 1000 microseconds, got " +
                                        std::to_string(*cpu.quota));
  }
  if (cpu.period && *cpu.period != 0 && (*cpu.period < 1000 || *cpu.period > 1000000)) {
    return Invalid(path + ".period", "must be between 1000 and 1000000 microseconds, got " +
                                         std::to_string(*cpu.period));
  }
  if (cpu.burst && cpu.quota && *cpu.quota > 0 && *cpu.burst > static_cast<uint64_t>(*cpu.quota)) {
    return Invalid(path + ".burst", "exceeds the quota " + std::to_string(*cpu.quota));
  }
  if (cpu.idle && *cpu.idle != 0 && *cpu.idle != 1) {
    return Invalid(path + ".idle", "must be 0 or 1, got " + std::to_string(*cpu.idle));
  }
  if (!IsCpuList(cpu.cpus)) return Invalid(path + ".cpus", "invalid cpu list " + Quote(cpu.cpus));
  if (!IsCpuList(cpu.mems)) return Invalid(path + ".mems", "invalid node list " + Quote(cpu.mems));
  return Ok();
}

// "<number><K|M|G|T|P>B", as the hugetlb controller names its files.
bool IsPageSize(std::string_view size) {
  if (size.size() < 3 || !size.ends_with('B')) return false;
  char unit = size[size.size() - 2];
  if (std::string_view("KMGTP").find(unit) == std::string_view::npos) return false;
  return ParseUint64(size.substr(0, size.size() - 2)).has_value();
}

berth::Status CheckResourceLists(const Resources& resources) {
  if (const std::optional<BlockIoResources>& io = resources.block_io) {
    for (size_t i = 0; i < io->weight_device.size(); ++i) {
      const WeightDevice& device = io->weight_device[i];
      if (device.weight || device.leaf_weight) continue;
      return Invalid(Index("linux.resources.blockIO.weightDevice", i),
                     "needs weight or leafWeight");
    }
  }
  for (size_t i = 0; i < resources.hugepage_limits.size(); ++i) {
    const std::string& size = resources.hugepage_limits[i].page_size;
    if (IsPageSize(size)) continue;
    return Invalid(Index("linux.resources.hugepageLimits", i) + ".pageSize",
                   "invalid page size " + Quote(size) + ", want a size like 2MB");
  }
  for (const auto& [device, limit] : resources.rdma) {
    if (limit.hca_handles || limit.hca_objects) continue;
    return Invalid(Key("linux.resources.rdma", device), "needs hcaHandles or hcaObjects");
  }
  for (const auto& [file, value] : resources.unified) {
    if (!file.empty() && file != "." && file != ".." && file.find('/') == std::string::npos) {
      continue;
    }
    return Invalid(Key("linux.resources.unified", file), "must name a file of the cgroup");
  }
  return Ok();
}

berth::Status CheckResources(const Resources& resources) {
  BERTH_TRY(CheckDeviceRules(resources.devices));
  if (resources.memory) BERTH_TRY(CheckMemory(*resources.memory));
  if (resources.cpu) BERTH_TRY(CheckCpu(*resources.cpu));
  return CheckResourceLists(resources);
}

berth::Status CheckPaths(const Linux& linux, const NamespaceSet& namespaces) {
  static const std::set<std::string, std::less<>> kPropagation = {
      "",       "shared",   "slave",      "private",     "rshared",
      "rslave", "rprivate", "unbindable", "runbindable",
  };
  if (!kPropagation.contains(linux.rootfs_propagation)) {
    return Invalid("linux.rootfsPropagation",
                   "unknown propagation " + Quote(linux.rootfs_propagation) +
                       ", want shared, slave, private, unbindable or their r-prefixed forms");
  }
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"linux.maskedPaths", &linux.masked_paths},
      {"linux.readonlyPaths", &linux.readonly_paths},
  };
  for (const auto& [name, paths] : lists) {
    if (!paths->empty() && !namespaces.Has("mount")) {
      return Invalid(name, "needs a mount namespace in linux.namespaces");
    }
    for (size_t i = 0; i < paths->size(); ++i) {
      BERTH_TRY(CheckAbsolute(Index(name, i), (*paths)[i]));
    }
  }
  return Ok();
}

// Only these two actions carry a return value (SCMP_ACT_ERRNO(x), SCMP_ACT_TRACE(x)).
bool TakesErrno(std::string_view action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

berth::Status CheckSyscall(const SeccompSyscall& call, const std::string& path, bool has_listener) {
  if (call.names.empty()) return Invalid(path + ".names", "empty: at least one syscall is needed");
  for (size_t i = 0; i < call.names.size(); ++i) {
    if (call.names[i].empty()) return Invalid(Index(path + ".names", i), "empty syscall name");
  }
  if (!Contains(SeccompActions(), call.action)) {
    return Invalid(path + ".action", "unknown action " + Quote(call.action));
  }
  if (call.errno_ret && !TakesErrno(call.action)) {
    return Invalid(path + ".errnoRet", "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
  }
  if (call.action == "SCMP_ACT_NOTIFY") {
    if (!has_listener) return Invalid(path + ".action", "SCMP_ACT_NOTIFY needs a listenerPath");
    // The runtime itself writes to hand over the listener fd after loading the filter.
    for (size_t i = 0; i < call.names.size(); ++i) {
      if (call.names[i] != "write") continue;
      return Invalid(Index(path + ".names", i), "SCMP_ACT_NOTIFY cannot apply to write");
    }
  }
  for (size_t i = 0; i < call.args.size(); ++i) {
    std::string arg_path = Index(path + ".args", i);
    if (call.args[i].index >= 6) {
      return Invalid(arg_path + ".index", "must be below 6, syscalls have six arguments");
    }
    if (!Contains(SeccompOperators(), call.args[i].op)) {
      return Invalid(arg_path + ".op", "unknown operator " + Quote(call.args[i].op));
    }
  }
  return Ok();
}

berth::Status CheckSeccomp(const Seccomp& seccomp) {
  const std::string path = "linux.seccomp";
  const std::string& action = seccomp.default_action;
  // An empty defaultAction with no syscalls is how callers say "no filter".
  if (!action.empty() || !seccomp.syscalls.empty()) {
    if (!Contains(SeccompActions(), action)) {
      return Invalid(path + ".defaultAction", "unknown action " + Quote(action));
    }
    if (action == "SCMP_ACT_NOTIFY") {
      return Invalid(path + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
    }
  }
  if (seccomp.default_errno_ret && !TakesErrno(action)) {
    return Invalid(path + ".defaultErrnoRet",
                   "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
  }
  for (size_t i = 0; i < seccomp.architectures.size(); ++i) {
    if (Contains(SeccompArchitectures(), seccomp.architectures[i])) continue;
    return Invalid(Index(path + ".architectures", i),
                   "unknown architecture " + Quote(seccomp.architectures[i]));
  }
  for (size_t i = 0; i < seccomp.flags.size(); ++i) {
    if (Contains(SeccompFlags(), seccomp.flags[i])) continue;
    return Invalid(Index(path + ".flags", i), "unknown flag " + Quote(seccomp.flags[i]));
  }
  if (!seccomp.listener_metadata.empty() && seccomp.listener_path.empty()) {
    return Invalid(path + ".listenerMetadata", "needs a listenerPath");
  }
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    BERTH_TRY(CheckSyscall(seccomp.syscalls[i], Index(path + ".syscalls", i),
                           !seccomp.listener_path.empty()));
  }
  return Ok();
}

berth::Status CheckPersonality(const Personality& personality) {
  if (!Contains(PersonalityDomains(), personality.domain)) {
    return Invalid("linux.personality.domain",
                   "unknown domain " + Quote(personality.domain) + ", want LINUX or LINUX32");
  }
  if (!personality.flags.empty()) {
    return Invalid("linux.personality.flags[0]",
                   "unknown flag " + Quote(personality.flags[0]) + ", none are defined");
  }
  return Ok();
}

berth::Status CheckLinux(const Spec& spec) {
  const NamespaceSet namespaces(spec);
  BERTH_TRY(CheckUts(spec, namespaces));
  if (!spec.linux) return Ok();
  const Linux& linux = *spec.linux;
  BERTH_TRY(CheckUserNamespace(linux, namespaces));
  BERTH_TRY(CheckTimeOffsets(linux, namespaces));
  BERTH_TRY(CheckSysctl(spec, namespaces));
  BERTH_TRY(CheckDevices(linux));
  if (linux.resources) BERTH_TRY(CheckResources(*linux.resources));
  BERTH_TRY(CheckPaths(linux, namespaces));
  if (linux.seccomp) BERTH_TRY(CheckSeccomp(*linux.seccomp));
  if (linux.personality) BERTH_TRY(CheckPersonality(*linux.personality));
  return Ok();
}

}  // namespace

berth::Status ValidateSpec(const Spec& spec) {
  BERTH_TRY(CheckVersion(spec));
  BERTH_TRY(CheckRoot(spec));
  BERTH_TRY(CheckProcess(spec));
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    BERTH_TRY(CheckMount(spec.mounts[i], Index("mounts", i)));
  }
  if (spec.hooks) BERTH_TRY(CheckHooks(*spec.hooks));
  // Namespaces first: every later check reads them through NamespaceSet.
  if (spec.linux) BERTH_TRY(CheckNamespaces(*spec.linux));
  return CheckLinux(spec);
}

}  // namespace berth::oci
