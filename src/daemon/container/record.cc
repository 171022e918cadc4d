#include "daemon/container/record.h"

#include <array>

#include "base/file.h"
#include "oci/json_codec.h"

namespace berth::daemon::container {

using oci::json_codec::Emit;
using oci::json_codec::Is;
using oci::json_codec::Json;
using oci::json_codec::OrderedJson;

namespace {

constexpr std::array<std::pair<ContainerStatus, std::string_view>, 7> kStatusNames = {{
    {ContainerStatus::kCreated, "created"},
    {ContainerStatus::kRunning, "running"},
    {ContainerStatus::kPaused, "paused"},
    {ContainerStatus::kRestarting, "restarting"},
    {ContainerStatus::kRemoving, "removing"},
    {ContainerStatus::kExited, "exited"},
    {ContainerStatus::kDead, "dead"},
}};

// The status as a string in the record.
struct StatusField {
  ContainerStatus& status;
};
struct ConstStatusField {
  const ContainerStatus& status;
};

struct HealthStatusField {
  HealthStatus& status;
};
struct ConstHealthStatusField {
  const HealthStatus& status;
};

// Config and HostConfig keep their own codecs (config.h).
struct ConfigField {
  Config& config;
};
struct ConstConfigField {
  const Config& config;
};
struct HostConfigField {
  HostConfig& host_config;
};
struct ConstHostConfigField {
  const HostConfig& host_config;
};

Status Read(const Json& j, const std::string& path, StatusField field) {
  std::string name;
  BERTH_TRY(oci::json_codec::Read(j, path, name));
  BERTH_ASSIGN_OR_RETURN(field.status, ParseStatus(name));
  return Ok();
}
OrderedJson ToJson(ConstStatusField field) { return std::string(StatusName(field.status)); }
bool IsEmpty(ConstStatusField) { return false; }

Status Read(const Json& j, const std::string& path, HealthStatusField field) {
  std::string name;
  BERTH_TRY(oci::json_codec::Read(j, path, name));
  BERTH_ASSIGN_OR_RETURN(field.status, ParseHealthStatus(name));
  return Ok();
}
OrderedJson ToJson(ConstHealthStatusField field) {
  return std::string(HealthStatusName(field.status));
}
bool IsEmpty(ConstHealthStatusField) { return false; }

Status Read(const Json& j, const std::string& path, ConfigField field) {
  BERTH_ASSIGN_OR_RETURN(field.config, DecodeConfig(j, path));
  return Ok();
}
OrderedJson ToJson(ConstConfigField field) { return ConfigJson(field.config); }
bool IsEmpty(ConstConfigField) { return false; }

Status Read(const Json& j, const std::string& path, HostConfigField field) {
  BERTH_ASSIGN_OR_RETURN(field.host_config, DecodeHostConfig(j, path));
  return Ok();
}
OrderedJson ToJson(ConstHostConfigField field) { return HostConfigJson(field.host_config); }
bool IsEmpty(ConstHostConfigField) { return false; }

}  // namespace

std::string_view StatusName(ContainerStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

Result<ContainerStatus> ParseStatus(std::string_view name) {
  for (const auto& [value, known] : kStatusNames) {
    if (known == name) return value;
  }
  return Fail(ErrorKind::kInvalidArgument,
              "unknown container status \"" + std::string(name) + "\"");
}

template <typename S>
using StatusFieldOf = std::conditional_t<std::is_const_v<S>, ConstStatusField, StatusField>;
template <typename S>
using ConfigFieldOf = std::conditional_t<std::is_const_v<S>, ConstConfigField, ConfigField>;
template <typename S>
using HostConfigFieldOf =
    std::conditional_t<std::is_const_v<S>, ConstHostConfigField, HostConfigField>;

template <typename S>
using HealthStatusFieldOf =
    std::conditional_t<std::is_const_v<S>, ConstHealthStatusField, HealthStatusField>;

template <typename V, Is<HealthLogEntry> S>
static void Fields(V& v, S& s) {
  v("Start", s.start, Emit::kAlways);
  v("End", s.end, Emit::kAlways);
  v("ExitCode", s.exit_code, Emit::kAlways);
  v("Output", s.output, Emit::kAlways);
}

template <typename V, Is<Health> S>
static void Fields(V& v, S& s) {
  v("Status", HealthStatusFieldOf<S>{s.status}, Emit::kRequired);
  v("FailingStreak", s.failing_streak, Emit::kAlways);
  v("Log", s.log, Emit::kAlways);
}

template <typename V, Is<MountPoint> S>
static void Fields(V& v, S& s) {
  v("Type", s.type, Emit::kRequired);
  v("Name", s.name);
  v("Source", s.source);
  v("Destination", s.destination, Emit::kRequired);
  v("Driver", s.driver);
  v("Mode", s.mode);
  v("RW", s.rw, Emit::kAlways);
  v("Propagation", s.propagation);
  v("NonRecursive", s.non_recursive);
  v("CopyData", s.copy_data);
  v("Anonymous", s.anonymous);
  v("FromBinds", s.from_binds);
  v("TmpfsOptions", s.tmpfs_options);
  v("VolumeOptions", s.volume_options);
  v("VolumeLabels", s.volume_labels);
}

template <typename V, Is<State> S>
static void Fields(V& v, S& s) {
  v("Status", StatusFieldOf<S>{s.status}, Emit::kRequired);
  v("OOMKilled", s.oom_killed);
  v("Pid", s.pid);
  v("ExitCode", s.exit_code);
  v("Error", s.error);
  v("StartedAt", s.started_at, Emit::kAlways);
  v("FinishedAt", s.finished_at, Emit::kAlways);
  v("ManuallyStopped", s.manually_stopped);
  v("Health", s.health);
}

template <typename V, Is<EndpointConfig> S>
static void Fields(V& v, S& s) {
  v("IPv4Address", s.ipv4_address);
  v("Aliases", s.aliases);
}

template <typename V, Is<Endpoint> S>
static void Fields(V& v, S& s) {
  v("NetworkID", s.network_id, Emit::kRequired);
  v("Config", s.config);
  v("EndpointID", s.endpoint_id);
  v("IPAddress", s.ip_address);
  v("IPPrefixLen", s.ip_prefix_len);
  v("Gateway", s.gateway);
  v("MacAddress", s.mac_address);
}

template <typename V, Is<PublishedPort> S>
static void Fields(V& v, S& s) {
  v("Proto", s.proto, Emit::kRequired);
  v("HostIp", s.host_ip, Emit::kAlways);
  v("HostPort", s.host_port, Emit::kAlways);
  v("ContainerPort", s.container_port, Emit::kAlways);
}

template <typename V, Is<Record> S>
static void Fields(V& v, S& s) {
  v("Id", s.id, Emit::kRequired);
  v("Name", s.name, Emit::kRequired);
  v("Created", s.created, Emit::kRequired);
  v("Image", s.image_id, Emit::kRequired);
  v("Args", s.args, Emit::kAlways);
  v("Config", ConfigFieldOf<S>{s.config}, Emit::kRequired);
  v("HostConfig", HostConfigFieldOf<S>{s.host_config}, Emit::kRequired);
  v("State", s.state, Emit::kRequired);
  v("RestartCount", s.restart_count);
  v("LogPath", s.log_path);
  v("MountPoints", s.mount_points);
  v("Networks", s.networks);
  v("Ports", s.ports);
  v("SandboxKey", s.sandbox_key);
}

OrderedJson HealthJson(const Health& health) { return oci::json_codec::ToJson(health); }

std::string EncodeRecord(const Record& record) {
  return oci::json_codec::Dump(oci::json_codec::ToJson(record), 1, '\t');
}

Result<Record> DecodeRecord(std::string_view text) {
  return oci::json_codec::Decode<Record>(text, "decode container record");
}

Status SaveRecord(const std::string& dir, const Record& record) {
  return WriteFileAtomic(dir + "/container.json", EncodeRecord(record) + "\n", 0600);
}

Result<Record> LoadRecord(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(dir + "/container.json"));
  return Annotate(DecodeRecord(text), dir);
}

}  // namespace berth::daemon::container
