#include "oci/runtime_spec_json.h"

#include <string>

#include "oci/json_codec.h"

namespace berth::oci {

using json_codec::Emit;
using json_codec::Is;
using json_codec::Json;
using json_codec::OrderedJson;

// Every property is omitted when absent, empty, false or zero, as Go's omitempty does; kAlways
// marks the properties the spec makes REQUIRED, which are written even when zero or empty.
//
// Each Fields overload lists the JSON properties of one struct in the order the Go reference
// types declare them, for json_codec's Decoder and Encoder. They and the Status overloads below
// are static rather than in an unnamed namespace so that json_codec's templates find them by
// argument-dependent lookup.

template <typename V, Is<User> S>
static void Fields(V& v, S& s) {
  v("uid", s.uid, Emit::kAlways);
  v("gid", s.gid, Emit::kAlways);
  v("umask", s.umask);
  v("additionalGids", s.additional_gids);
}

template <typename V, Is<ConsoleSize> S>
static void Fields(V& v, S& s) {
  v("height", s.height, Emit::kAlways);
  v("width", s.width, Emit::kAlways);
}

template <typename V, Is<Capabilities> S>
static void Fields(V& v, S& s) {
  v("bounding", s.bounding);
  v("effective", s.effective);
  v("inheritable", s.inheritable);
  v("permitted", s.permitted);
  v("ambient", s.ambient);
}

template <typename V, Is<Rlimit> S>
static void Fields(V& v, S& s) {
  v("type", s.type, Emit::kAlways);
  v("hard", s.hard, Emit::kAlways);
  v("soft", s.soft, Emit::kAlways);
}

template <typename V, Is<Scheduler> S>
static void Fields(V& v, S& s) {
  v("policy", s.policy, Emit::kAlways);
  v("nice", s.nice);
  v("priority", s.priority);
  v("flags", s.flags);
  v("runtime", s.runtime);
  v("deadline", s.deadline);
  v("period", s.period);
}

template <typename V, Is<IoPriority> S>
static void Fields(V& v, S& s) {
  v("class", s.class_name, Emit::kAlways);
  v("priority", s.priority, Emit::kAlways);
}

template <typename V, Is<Process> S>
static void Fields(V& v, S& s) {
  v("terminal", s.terminal);
  v("consoleSize", s.console_size);
  v("user", s.user, Emit::kAlways);
  v("args", s.args);
  v("env", s.env);
  v("cwd", s.cwd, Emit::kAlways);
  v("capabilities", s.capabilities);
  v("rlimits", s.rlimits);
  v("noNewPrivileges", s.no_new_privileges);
  v("apparmorProfile", s.apparmor_profile);
  v("oomScoreAdj", s.oom_score_adj);
  v("scheduler", s.scheduler);
  v("selinuxLabel", s.selinux_label);
  v("ioPriority", s.io_priority);
}

template <typename V, Is<Root> S>
static void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("readonly", s.readonly);
}

template <typename V, Is<IdMapping> S>
static void Fields(V& v, S& s) {
  v("containerID", s.container_id, Emit::kAlways);
  v("hostID", s.host_id, Emit::kAlways);
  v("size", s.size, Emit::kAlways);
}

template <typename V, Is<Mount> S>
static void Fields(V& v, S& s) {
  v("destination", s.destination, Emit::kAlways);
  v("type", s.type);
  v("source", s.source);
  v("options", s.options);
  v("uidMappings", s.uid_mappings);
  v("gidMappings", s.gid_mappings);
}

template <typename V, Is<Hook> S>
static void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("args", s.args);
  v("env", s.env);
  v("timeout", s.timeout);
}

template <typename V, Is<Hooks> S>
static void Fields(V& v, S& s) {
  v("prestart", s.prestart);
  v("createRuntime", s.create_runtime);
  v("createContainer", s.create_container);
  v("startContainer", s.start_container);
  v("poststart", s.poststart);
  v("poststop", s.poststop);
}

template <typename V, Is<Namespace> S>
static void Fields(V& v, S& s) {
  v("type", s.type, Emit::kAlways);
  v("path", s.path);
}

template <typename V, Is<Device> S>
static void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("type", s.type, Emit::kAlways);
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("fileMode", s.file_mode);
  v("uid", s.uid);
  v("gid", s.gid);
}

template <typename V, Is<DeviceCgroupRule> S>
static void Fields(V& v, S& s) {
  v("allow", s.allow, Emit::kAlways);
  v("type", s.type);
  v("major", s.major);
  v("minor", s.minor);
  v("access", s.access);
}

template <typename V, Is<MemoryResources> S>
static void Fields(V& v, S& s) {
  v("limit", s.limit);
  v("reservation", s.reservation);
  v("swap", s.swap);
  v("kernel", s.kernel);
  v("kernelTCP", s.kernel_tcp);
  v("swappiness", s.swappiness);
  v("disableOOMKiller", s.disable_oom_killer);
  v("useHierarchy", s.use_hierarchy);
  v("checkBeforeUpdate", s.check_before_update);
}

template <typename V, Is<CpuResources> S>
static void Fields(V& v, S& s) {
  v("shares", s.shares);
  v("quota", s.quota);
  v("burst", s.burst);
  v("period", s.period);
  v("realtimeRuntime", s.realtime_runtime);
  v("realtimePeriod", s.realtime_period);
  v("cpus", s.cpus);
  v("mems", s.mems);
  v("idle", s.idle);
}

template <typename V, Is<PidsResources> S>
static void Fields(V& v, S& s) {
  v("limit", s.limit, Emit::kAlways);
}

template <typename V, Is<WeightDevice> S>
static void Fields(V& v, S& s) {
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("weight", s.weight);
  v("leafWeight", s.leaf_weight);
}

template <typename V, Is<ThrottleDevice> S>
static void Fields(V& v, S& s) {
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("rate", s.rate, Emit::kAlways);
}

template <typename V, Is<BlockIoResources> S>
static void Fields(V& v, S& s) {
  v("weight", s.weight);
  v("leafWeight", s.leaf_weight);
  v("weightDevice", s.weight_device);
  v("throttleReadBpsDevice", s.throttle_read_bps_device);
  v("throttleWriteBpsDevice", s.throttle_write_bps_device);
  v("throttleReadIOPSDevice", s.throttle_read_iops_device);
  v("throttleWriteIOPSDevice", s.throttle_write_iops_device);
}

template <typename V, Is<HugepageLimit> S>
static void Fields(V& v, S& s) {
  v("pageSize", s.page_size, Emit::kAlways);
  v("limit", s.limit, Emit::kAlways);
}

template <typename V, Is<NetworkPriority> S>
static void Fields(V& v, S& s) {
  v("name", s.name, Emit::kAlways);
  v("priority", s.priority, Emit::kAlways);
}

template <typename V, Is<NetworkResources> S>
static void Fields(V& v, S& s) {
  v("classID", s.class_id);
  v("priorities", s.priorities);
}

template <typename V, Is<RdmaLimit> S>
static void Fields(V& v, S& s) {
  v("hcaHandles", s.hca_handles);
  v("hcaObjects", s.hca_objects);
}

template <typename V, Is<Resources> S>
static void Fields(V& v, S& s) {
  v("devices", s.devices);
  v("memory", s.memory);
  v("cpu", s.cpu);
  v("pids", s.pids);
  v("blockIO", s.block_io);
  v("hugepageLimits", s.hugepage_limits);
  v("network", s.network);
  v("rdma", s.rdma);
  v("unified", s.unified);
}

template <typename V, Is<SeccompArg> S>
static void Fields(V& v, S& s) {
  v("index", s.index, Emit::kAlways);
  v("value", s.value, Emit::kAlways);
  v("valueTwo", s.value_two);
  v("op", s.op, Emit::kAlways);
}

template <typename V, Is<SeccompSyscall> S>
static void Fields(V& v, S& s) {
  v("names", s.names, Emit::kAlways);
  v("action", s.action, Emit::kAlways);
  v("errnoRet", s.errno_ret);
  v("args", s.args);
}

template <typename V, Is<Seccomp> S>
static void Fields(V& v, S& s) {
  v("defaultAction", s.default_action, Emit::kAlways);
  v("defaultErrnoRet", s.default_errno_ret);
  v("architectures", s.architectures);
  v("flags", s.flags);
  v("listenerPath", s.listener_path);
  v("listenerMetadata", s.listener_metadata);
  v("syscalls", s.syscalls);
}

template <typename V, Is<TimeOffset> S>
static void Fields(V& v, S& s) {
  v("secs", s.secs);
  v("nanosecs", s.nanosecs);
}

template <typename V, Is<Personality> S>
static void Fields(V& v, S& s) {
  v("domain", s.domain, Emit::kAlways);
  v("flags", s.flags);
}

template <typename V, Is<Linux> S>
static void Fields(V& v, S& s) {
  v("uidMappings", s.uid_mappings);
  v("gidMappings", s.gid_mappings);
  v("sysctl", s.sysctl);
  v("resources", s.resources);
  v("cgroupsPath", s.cgroups_path);
  v("namespaces", s.namespaces);
  v("devices", s.devices);
  v("seccomp", s.seccomp);
  v("rootfsPropagation", s.rootfs_propagation);
  v("maskedPaths", s.masked_paths);
  v("readonlyPaths", s.readonly_paths);
  v("mountLabel", s.mount_label);
  v("personality", s.personality);
  v("timeOffsets", s.time_offsets);
}

template <typename V, Is<Spec> S>
static void Fields(V& v, S& s) {
  v("ociVersion", s.oci_version, Emit::kAlways);
  v("process", s.process);
  v("root", s.root);
  v("hostname", s.hostname);
  v("domainname", s.domainname);
  v("mounts", s.mounts);
  v("hooks", s.hooks);
  v("annotations", s.annotations);
  v("linux", s.linux);
}

template <typename V, Is<State> S>
static void Fields(V& v, S& s) {
  v("ociVersion", s.oci_version, Emit::kAlways);
  v("id", s.id, Emit::kAlways);
  v("status", s.status, Emit::kAlways);
  v("pid", s.pid);
  v("bundle", s.bundle, Emit::kAlways);
  v("annotations", s.annotations);
}

static berth::Status Read(const Json& j, const std::string& path, Status& out) {
  std::string name;
  BERTH_TRY(json_codec::Read(j, path, name));
  for (Status status :
       {Status::kCreating, Status::kCreated, Status::kRunning, Status::kPaused, Status::kStopped}) {
    if (name == StatusName(status)) {
      out = status;
      return Ok();
    }
  }
  return Fail(json_codec::DecodeError(path, "unknown status \"" + name + "\""));
}

static OrderedJson ToJson(Status status) { return StatusName(status); }

// Tab-indented like `runc spec`.
static std::string DumpTabIndented(const OrderedJson& json) {
  return json_codec::Dump(json, 1, '\t');
}

Result<Spec> DecodeSpec(std::string_view json) {
  return json_codec::Decode<Spec>(json, "config.json");
}

std::string EncodeSpec(const Spec& spec) { return DumpTabIndented(json_codec::ToJson(spec)); }

Result<Process> DecodeProcess(std::string_view json) {
  return json_codec::Decode<Process>(json, "");
}

std::string EncodeProcess(const Process& process) {
  return DumpTabIndented(json_codec::ToJson(process));
}

Result<State> DecodeState(std::string_view json) {
  return json_codec::Decode<State>(json, "state.json");
}

std::string EncodeState(const State& state) { return DumpTabIndented(json_codec::ToJson(state)); }

}  // namespace berth::oci
