// What a container is created with, as the Engine API's POST /containers/create sends it: docker's
// container Config (which extends the image config's "config" object) and HostConfig, with the
// fields berthd acts on typed and checked. Decoding names the JSON path of the first bad property
// ("HostConfig.Memory: expected an integer, got string"); unknown properties are ignored and null
// reads as absent, as Go's decoder does. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::daemon::container {

// docker's container.Config. The fields it shares with an image config live in `image`.
struct Config {
  std::string hostname;
  std::string domainname;
  bool attach_stdin = false;
  bool attach_stdout = false;
  bool attach_stderr = false;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  std::string image_name;  // "Image": the reference or id the client asked for
  std::optional<int> stop_timeout;
  bool network_disabled = false;
  oci::ContainerConfig image;  // User, Env, Cmd, Entrypoint, WorkingDir, Labels, StopSignal, ...
};

struct RestartPolicy {
  std::string name;  // "", "no", "always", "unless-stopped", "on-failure"
  int maximum_retry_count = 0;
};

struct LogConfig {
  std::string type;                           // "json-file" (the default) or "none"
  std::map<std::string, std::string> config;  // max-size, max-file
};

struct BindOptions {
  std::string propagation;  // private, rprivate (default), shared, rshared, slave, rslave
  bool non_recursive = false;
};

struct TmpfsOptions {
  int64_t size_bytes = 0;
  int64_t mode = 0;
};

struct DriverConfig {
  std::string name;                            // the volume driver ("local")
  std::map<std::string, std::string> options;  // its options (type, device, o)
};

struct VolumeOptions {
  bool no_copy = false;
  std::map<std::string, std::string> labels;
  std::optional<DriverConfig> driver_config;
};

// One entry of HostConfig.Mounts (docker's mount.Mount).
struct MountSpec {
  std::string type;  // bind, tmpfs, volume
  std::string source;
  std::string target;
  bool read_only = false;
  std::optional<BindOptions> bind_options;
  std::optional<VolumeOptions> volume_options;
  std::optional<TmpfsOptions> tmpfs_options;
};

struct Ulimit {
  std::string name;  // "nofile"
  int64_t soft = 0;
  int64_t hard = 0;
};

// One host side of a published port (HostConfig.PortBindings["80/tcp"][i]): HostIp empty for
// every address, HostPort empty for an ephemeral port, or a range "8000-8010".
struct PortBinding {
  std::string host_ip;
  std::string host_port;
  bool operator==(const PortBinding&) const = default;
};

// docker's container.HostConfig, with the resources inlined as docker does.
struct HostConfig {
  std::vector<std::string> binds;         // "src:dst[:opts]"
  std::vector<std::string> volumes_from;  // "container[:ro|rw]": its volumes and binds
  LogConfig log_config;
  // "", "default", "bridge", "host", "none", "container:<id|name>" or a network's name or id
  std::string network_mode;
  std::map<std::string, std::vector<PortBinding>> port_bindings;  // by port key, "80/tcp"
  bool publish_all_ports = false;  // -P: every exposed port on an ephemeral host port
  RestartPolicy restart_policy;
  bool auto_remove = false;
  std::vector<MountSpec> mounts;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string cgroupns_mode;  // "", "host", "private"
  std::vector<std::string> extra_hosts;
  std::vector<std::string> group_add;
  std::string ipc_mode;  // "", "private", "shareable", "host", "none"
  int oom_score_adj = 0;
  std::string pid_mode;  // "", "host"
  bool privileged = false;
  bool readonly_rootfs = false;
  std::vector<std::string> security_opt;
  std::map<std::string, std::string> tmpfs;  // path → options
  std::string uts_mode;                      // "", "host"
  int64_t shm_size = 0;
  std::map<std::string, std::string> sysctls;
  std::string runtime;  // the OCI runtime's name; the daemon's default when empty at create
  // Resources
  int64_t cpu_shares = 0;
  int64_t memory = 0;
  int64_t nano_cpus = 0;
  std::string cgroup_parent;
  int blkio_weight = 0;
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  int64_t memory_reservation = 0;
  int64_t memory_swap = 0;
  std::optional<int64_t> memory_swappiness;
  std::optional<bool> oom_kill_disable;
  std::optional<int64_t> pids_limit;
  std::vector<Ulimit> ulimits;
  std::optional<bool> init;
  std::vector<std::string> masked_paths;    // absent: docker's defaults
  std::vector<std::string> readonly_paths;  // absent: docker's defaults
};

// The json-file driver's rotation from LogConfig.Config: max-size (docker's sizes: "10m",
// "512k", bytes; 0 or absent: unlimited) and max-file (at least 1; default 1). Other keys and bad
// values are kInvalidArgument naming the option.
struct LogRotation {
  int64_t max_size = 0;
  int max_file = 1;
};
[[nodiscard]] Result<LogRotation> ParseLogRotation(const LogConfig& log_config);

// What a container asks of one network (docker's EndpointSettings as create and connect take
// it): a static address and aliases.
struct EndpointConfig {
  std::string ipv4_address;  // IPAMConfig.IPv4Address
  std::vector<std::string> aliases;
  bool operator==(const EndpointConfig&) const = default;
};

// CreateRequest is the body of POST /containers/create.
struct CreateRequest {
  Config config;
  HostConfig host_config;
  std::map<std::string, EndpointConfig> endpoints;  // NetworkingConfig.EndpointsConfig
};

// DecodeEndpointConfig reads an EndpointSettings object at path.
[[nodiscard]] Result<EndpointConfig> DecodeEndpointConfig(const nlohmann::json& json,
                                                          const std::string& path);

// DecodeCreateRequest reads the body: Config's fields at the top level, HostConfig under
// "HostConfig". Beyond JSON types it checks what docker refuses at create: a restart policy name,
// a retry count without on-failure, auto-remove with a restart policy, negative limits, NanoCpus
// with CpuQuota/CpuPeriod, a log driver other than json-file and none (mounts are checked by
// mounts.h's PlanMounts).
// Errors are kInvalidArgument naming the field.
[[nodiscard]] Result<CreateRequest> DecodeCreateRequest(const nlohmann::json& body);

// CheckHostConfig is DecodeCreateRequest's check of HostConfig (above).
Status CheckHostConfig(const HostConfig& host_config);

// What docker's exec create sends (ExecConfig).
struct ExecConfig {
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // set over the container's
  std::string user;              // empty: the container's
  std::string working_dir;       // empty: the container's
  bool tty = false;
  bool attach_stdin = false;
  bool attach_stdout = false;
  bool attach_stderr = false;
  bool privileged = false;
  std::string detach_keys;
};

// DecodeExecConfig reads the body of POST /containers/{id}/exec; errors are kInvalidArgument
// naming the field.
[[nodiscard]] Result<ExecConfig> DecodeExecConfig(const nlohmann::json& body);

// The record codec: what DecodeCreateRequest reads, written back as docker's JSON shapes (also
// what inspect shows as Config and HostConfig). Decode(Encode(x)) == x.
nlohmann::ordered_json ConfigJson(const Config& config);
nlohmann::ordered_json HostConfigJson(const HostConfig& host_config);
[[nodiscard]] Result<Config> DecodeConfig(const nlohmann::json& json, const std::string& path);
[[nodiscard]] Result<HostConfig> DecodeHostConfig(const nlohmann::json& json,
                                                  const std::string& path);

}  // namespace berth::daemon::container
