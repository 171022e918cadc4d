#include "oci/runtime_spec_json.h"

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace berth::oci {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// kAlways marks the properties the spec makes REQUIRED: they are written even when zero or empty.
// Every other property is omitted when absent, empty, false or zero, as Go's omitempty does.
enum class Emit { kOmitEmpty, kAlways };

template <typename S, typename T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

// Each Fields overload lists the JSON properties of one struct in the order the Go reference
// types declare them. It runs with a Decoder (reading into a mutable struct) or an Encoder
// (writing from a const one), so the names are spelled once for both directions.

template <typename V, Is<User> S>
void Fields(V& v, S& s) {
  v("uid", s.uid, Emit::kAlways);
  v("gid", s.gid, Emit::kAlways);
  v("umask", s.umask);
  v("additionalGids", s.additional_gids);
}

template <typename V, Is<ConsoleSize> S>
void Fields(V& v, S& s) {
  v("height", s.height, Emit::kAlways);
  v("width", s.width, Emit::kAlways);
}

template <typename V, Is<Capabilities> S>
void Fields(V& v, S& s) {
  v("bounding", s.bounding);
  v("effective", s.effective);
  v("inheritable", s.inheritable);
  v("permitted", s.permitted);
  v("ambient", s.ambient);
}

template <typename V, Is<Rlimit> S>
void Fields(V& v, S& s) {
  v("type", s.type, Emit::kAlways);
  v("hard", s.hard, Emit::kAlways);
  v("soft", s.soft, Emit::kAlways);
}

template <typename V, Is<Scheduler> S>
void Fields(V& v, S& s) {
  v("policy", s.policy, Emit::kAlways);
  v("nice", s.nice);
  v("priority", s.priority);
  v("flags", s.flags);
  v("runtime", s.runtime);
  v("deadline", s.deadline);
  v("period", s.period);
}

template <typename V, Is<IoPriority> S>
void Fields(V& v, S& s) {
  v("class", s.class_name, Emit::kAlways);
  v("priority", s.priority, Emit::kAlways);
}

template <typename V, Is<Process> S>
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("readonly", s.readonly);
}

template <typename V, Is<IdMapping> S>
void Fields(V& v, S& s) {
  v("containerID", s.container_id, Emit::kAlways);
  v("hostID", s.host_id, Emit::kAlways);
  v("size", s.size, Emit::kAlways);
}

template <typename V, Is<Mount> S>
void Fields(V& v, S& s) {
  v("destination", s.destination, Emit::kAlways);
  v("type", s.type);
  v("source", s.source);
  v("options", s.options);
  v("uidMappings", s.uid_mappings);
  v("gidMappings", s.gid_mappings);
}

template <typename V, Is<Hook> S>
void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("args", s.args);
  v("env", s.env);
  v("timeout", s.timeout);
}

template <typename V, Is<Hooks> S>
void Fields(V& v, S& s) {
  v("prestart", s.prestart);
  v("createRuntime", s.create_runtime);
  v("createContainer", s.create_container);
  v("startContainer", s.start_container);
  v("poststart", s.poststart);
  v("poststop", s.poststop);
}

template <typename V, Is<Namespace> S>
void Fields(V& v, S& s) {
  v("type", s.type, Emit::kAlways);
  v("path", s.path);
}

template <typename V, Is<Device> S>
void Fields(V& v, S& s) {
  v("path", s.path, Emit::kAlways);
  v("type", s.type, Emit::kAlways);
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("fileMode", s.file_mode);
  v("uid", s.uid);
  v("gid", s.gid);
}

template <typename V, Is<DeviceCgroupRule> S>
void Fields(V& v, S& s) {
  v("allow", s.allow, Emit::kAlways);
  v("type", s.type);
  v("major", s.major);
  v("minor", s.minor);
  v("access", s.access);
}

template <typename V, Is<MemoryResources> S>
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
  v("limit", s.limit, Emit::kAlways);
}

template <typename V, Is<WeightDevice> S>
void Fields(V& v, S& s) {
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("weight", s.weight);
  v("leafWeight", s.leaf_weight);
}

template <typename V, Is<ThrottleDevice> S>
void Fields(V& v, S& s) {
  v("major", s.major, Emit::kAlways);
  v("minor", s.minor, Emit::kAlways);
  v("rate", s.rate, Emit::kAlways);
}

template <typename V, Is<BlockIoResources> S>
void Fields(V& v, S& s) {
  v("weight", s.weight);
  v("leafWeight", s.leaf_weight);
  v("weightDevice", s.weight_device);
  v("throttleReadBpsDevice", s.throttle_read_bps_device);
  v("throttleWriteBpsDevice", s.throttle_write_bps_device);
  v("throttleReadIOPSDevice", s.throttle_read_iops_device);
  v("throttleWriteIOPSDevice", s.throttle_write_iops_device);
}

template <typename V, Is<HugepageLimit> S>
void Fields(V& v, S& s) {
  v("pageSize", s.page_size, Emit::kAlways);
  v("limit", s.limit, Emit::kAlways);
}

template <typename V, Is<NetworkPriority> S>
void Fields(V& v, S& s) {
  v("name", s.name, Emit::kAlways);
  v("priority", s.priority, Emit::kAlways);
}

template <typename V, Is<NetworkResources> S>
void Fields(V& v, S& s) {
  v("classID", s.class_id);
  v("priorities", s.priorities);
}

template <typename V, Is<RdmaLimit> S>
void Fields(V& v, S& s) {
  v("hcaHandles", s.hca_handles);
  v("hcaObjects", s.hca_objects);
}

template <typename V, Is<Resources> S>
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
  v("index", s.index, Emit::kAlways);
  v("value", s.value, Emit::kAlways);
  v("valueTwo", s.value_two);
  v("op", s.op, Emit::kAlways);
}

template <typename V, Is<SeccompSyscall> S>
void Fields(V& v, S& s) {
  v("names", s.names, Emit::kAlways);
  v("action", s.action, Emit::kAlways);
  v("errnoRet", s.errno_ret);
  v("args", s.args);
}

template <typename V, Is<Seccomp> S>
void Fields(V& v, S& s) {
  v("defaultAction", s.default_action, Emit::kAlways);
  v("defaultErrnoRet", s.default_errno_ret);
  v("architectures", s.architectures);
  v("flags", s.flags);
  v("listenerPath", s.listener_path);
  v("listenerMetadata", s.listener_metadata);
  v("syscalls", s.syscalls);
}

template <typename V, Is<TimeOffset> S>
void Fields(V& v, S& s) {
  v("secs", s.secs);
  v("nanosecs", s.nanosecs);
}

template <typename V, Is<Personality> S>
void Fields(V& v, S& s) {
  v("domain", s.domain, Emit::kAlways);
  v("flags", s.flags);
}

template <typename V, Is<Linux> S>
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
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
void Fields(V& v, S& s) {
  v("ociVersion", s.oci_version, Emit::kAlways);
  v("id", s.id, Emit::kAlways);
  v("status", s.status, Emit::kAlways);
  v("pid", s.pid);
  v("bundle", s.bundle, Emit::kAlways);
  v("annotations", s.annotations);
}

// ---- Decoding ----

std::string MemberPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Describes a JSON value for an error: numbers by value, everything else by type.
std::string Describe(const Json& j) {
  return j.is_number() ? "number " + j.dump() : std::string(j.type_name());
}

Error DecodeError(const std::string& path, std::string message) {
  return Error(ErrorKind::kInvalidArgument, path.empty() ? message : path + ": " + message);
}

Error TypeError(const std::string& path, std::string_view expected, const Json& j) {
  return DecodeError(path, "expected " + std::string(expected) + ", got " + Describe(j));
}

berth::Status Read(const Json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) return Fail(TypeError(path, "a string", j));
  out = j.get<std::string>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) return Fail(TypeError(path, "a boolean", j));
  out = j.get<bool>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, Status& out) {
  std::string name;
  BERTH_TRY(Read(j, path, name));
  for (Status status :
       {Status::kCreating, Status::kCreated, Status::kRunning, Status::kPaused, Status::kStopped}) {
    if (name == StatusName(status)) {
      out = status;
      return Ok();
    }
  }
  return Fail(DecodeError(path, "unknown status \"" + name + "\""));
}

// Integers must be JSON integers (no fraction, no exponent) within the range of the C++ field,
// so a uid of 2^32 is an error rather than a silent truncation.
template <Integer T>
berth::Status Read(const Json& j, const std::string& path, T& out) {
  constexpr bool kUnsigned = std::is_unsigned_v<T>;
  const char* expected = kUnsigned ? "an unsigned integer" : "an integer";
  auto range_error = [&] {
    return Fail(DecodeError(path, Describe(j) + " is out of range for " +
                                      (kUnsigned ? "an unsigned " : "a signed ") +
                                      std::to_string(sizeof(T) * 8) + "-bit integer"));
  };
  if (j.is_number_unsigned()) {
    uint64_t value = j.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<T>::max())) return range_error();
    out = static_cast<T>(value);
    return Ok();
  }
  if (!j.is_number_integer() || kUnsigned) return Fail(TypeError(path, expected, j));
  int64_t value = j.get<int64_t>();
  if (value < static_cast<int64_t>(std::numeric_limits<T>::min())) return range_error();
  out = static_cast<T>(value);
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::optional<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::vector<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, T& out);

// Reads the properties a Fields overload names from one JSON object, stopping at the first error.
// Absent and null properties leave the field at its default, as Go's decoder does.
class Decoder {
 public:
  Decoder(const Json& object, const std::string& path) : object_(object), path_(path) {}

  template <typename T>
  void operator()(std::string_view key, T& field, Emit = Emit::kOmitEmpty) {
    if (!status_) return;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return;
    status_ = Read(*it, MemberPath(path_, key), field);
  }

  berth::Status status() && { return std::move(status_); }

 private:
  const Json& object_;
  const std::string& path_;
  berth::Status status_;
};

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::optional<T>& out) {
  T value{};
  BERTH_TRY(Read(j, path, value));
  out = std::move(value);
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::vector<T>& out) {
  if (!j.is_array()) return Fail(TypeError(path, "an array", j));
  out.clear();
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T value{};
    BERTH_TRY(Read(j[i], path + "[" + std::to_string(i) + "]", value));
    out.push_back(std::move(value));
  }
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  out.clear();
  for (const auto& [key, item] : j.items()) {
    T value{};
    BERTH_TRY(Read(item, path + "[" + Json(key).dump() + "]", value));
    out.emplace(key, std::move(value));
  }
  return Ok();
}

// Structs: an object whose properties Fields names.
template <typename T>
berth::Status Read(const Json& j, const std::string& path, T& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  Decoder decoder(j, path);
  Fields(decoder, out);
  return std::move(decoder).status();
}

Result<Json> Parse(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 17: <reason>";
    // keep the reason, since the byte offset is reported separately.
    std::string_view what = e.what();
    size_t column = what.find("column ");
    size_t reason = column == std::string_view::npos ? column : what.find(": ", column);
    if (reason != std::string_view::npos) what.remove_prefix(reason + 2);
    return Fail(ErrorKind::kInvalidArgument,
                "invalid JSON at byte " + std::to_string(e.byte) + ": " + std::string(what));
  } catch (const Json::exception& e) {
    return Fail(ErrorKind::kInvalidArgument, std::string("invalid JSON: ") + e.what());
  }
}

// Decode parses text as a T; errors are prefixed with "<document>: " when document is not empty.
template <typename T>
Result<T> Decode(std::string_view text, std::string_view document) {
  Result<Json> json = Parse(text);
  T value{};
  berth::Status status = json ? Read(*json, "", value) : berth::Status(Fail(json.error()));
  if (!status) {
    if (!document.empty()) status.error().Wrap(document);
    return Fail(std::move(status).error());
  }
  return value;
}

// ---- Encoding ----

inline bool IsEmpty(const std::string& s) { return s.empty(); }
inline bool IsEmpty(bool b) { return !b; }
template <Integer T>
bool IsEmpty(const T& value) {
  return value == 0;
}
template <typename T>
bool IsEmpty(const std::optional<T>& o) {
  return !o.has_value();
}
template <typename T>
bool IsEmpty(const std::vector<T>& v) {
  return v.empty();
}
template <typename T>
bool IsEmpty(const std::map<std::string, T>& m) {
  return m.empty();
}
template <typename T>
bool IsEmpty(const T&) {
  return false;  // structs and enums are written whenever their parent is
}

inline OrderedJson ToJson(const std::string& s) { return s; }
inline OrderedJson ToJson(bool b) { return b; }
inline OrderedJson ToJson(Status status) { return StatusName(status); }
template <Integer T>
OrderedJson ToJson(const T& value) {
  return value;
}
template <typename T>
OrderedJson ToJson(const std::optional<T>& o);
template <typename T>
OrderedJson ToJson(const std::vector<T>& v);
template <typename T>
OrderedJson ToJson(const std::map<std::string, T>& m);
template <typename T>
OrderedJson ToJson(const T& value);

class Encoder {
 public:
  template <typename T>
  void operator()(const char* key, const T& field, Emit emit = Emit::kOmitEmpty) {
    if (emit == Emit::kOmitEmpty && IsEmpty(field)) return;
    object_[key] = ToJson(field);
  }

  OrderedJson Take() && { return std::move(object_); }

 private:
  OrderedJson object_ = OrderedJson::object();
};

template <typename T>
OrderedJson ToJson(const std::optional<T>& o) {
  return ToJson(*o);
}

template <typename T>
OrderedJson ToJson(const std::vector<T>& v) {
  OrderedJson array = OrderedJson::array();
  for (const T& item : v) array.push_back(ToJson(item));
  return array;
}

template <typename T>
OrderedJson ToJson(const std::map<std::string, T>& m) {
  OrderedJson object = OrderedJson::object();
  for (const auto& [key, item] : m) object[key] = ToJson(item);
  return object;
}

template <typename T>
OrderedJson ToJson(const T& value) {
  Encoder encoder;
  Fields(encoder, value);
  return std::move(encoder).Take();
}

// Tab-indented like `runc spec`; invalid UTF-8 in a string is replaced rather than thrown.
std::string Dump(const OrderedJson& json) {
  return json.dump(1, '\t', false, OrderedJson::error_handler_t::replace);
}

}  // namespace

Result<Spec> DecodeSpec(std::string_view json) { return Decode<Spec>(json, "config.json"); }

std::string EncodeSpec(const Spec& spec) { return Dump(ToJson(spec)); }

Result<Process> DecodeProcess(std::string_view json) { return Decode<Process>(json, ""); }

Result<State> DecodeState(std::string_view json) { return Decode<State>(json, "state.json"); }

std::string EncodeState(const State& state) { return Dump(ToJson(state)); }

}  // namespace berth::oci
