#include "daemon/container/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "daemon/container/health.h"
#include "oci/json_codec.h"

namespace berth::daemon::container {

using oci::json_codec::DecodeError;
using oci::json_codec::Emit;
using oci::json_codec::Is;
using oci::json_codec::Json;
using oci::json_codec::OrderedJson;

// Fields overloads for json_codec's Decoder and Encoder, in the order of docker's Go types.
// Static rather than in the unnamed namespace so that the codec's templates find them by
// argument-dependent lookup.

template <typename V, Is<RestartPolicy> S>
static void Fields(V& v, S& s) {
  v("Name", s.name, Emit::kAlways);
  v("MaximumRetryCount", s.maximum_retry_count, Emit::kAlways);
}

template <typename V, Is<LogConfig> S>
static void Fields(V& v, S& s) {
  v("Type", s.type, Emit::kAlways);
  v("Config", s.config, Emit::kAlways);
}

template <typename V, Is<BindOptions> S>
static void Fields(V& v, S& s) {
  v("Propagation", s.propagation);
  v("NonRecursive", s.non_recursive);
}

template <typename V, Is<DriverConfig> S>
static void Fields(V& v, S& s) {
  v("Name", s.name);
  v("Options", s.options);
}

template <typename V, Is<VolumeOptions> S>
static void Fields(V& v, S& s) {
  v("NoCopy", s.no_copy);
  v("Labels", s.labels);
  v("DriverConfig", s.driver_config);
}

template <typename V, Is<TmpfsOptions> S>
static void Fields(V& v, S& s) {
  v("SizeBytes", s.size_bytes);
  v("Mode", s.mode);
}

template <typename V, Is<MountSpec> S>
static void Fields(V& v, S& s) {
  v("Type", s.type);
  v("Source", s.source);
  v("Target", s.target);
  v("ReadOnly", s.read_only);
  v("BindOptions", s.bind_options);
  v("VolumeOptions", s.volume_options);
  v("TmpfsOptions", s.tmpfs_options);
}

template <typename V, Is<Ulimit> S>
static void Fields(V& v, S& s) {
  v("Name", s.name, Emit::kAlways);
  v("Soft", s.soft, Emit::kAlways);
  v("Hard", s.hard, Emit::kAlways);
}

template <typename V, Is<Config> S>
static void Fields(V& v, S& s) {
  v("Hostname", s.hostname, Emit::kAlways);
  v("Domainname", s.domainname, Emit::kAlways);
  v("AttachStdin", s.attach_stdin, Emit::kAlways);
  v("AttachStdout", s.attach_stdout, Emit::kAlways);
  v("AttachStderr", s.attach_stderr, Emit::kAlways);
  v("Tty", s.tty, Emit::kAlways);
  v("OpenStdin", s.open_stdin, Emit::kAlways);
  v("StdinOnce", s.stdin_once, Emit::kAlways);
  v("Image", s.image_name, Emit::kAlways);
  v("NetworkDisabled", s.network_disabled);
  v("StopTimeout", s.stop_timeout);
}

template <typename V, Is<PortBinding> S>
static void Fields(V& v, S& s) {
  v("HostIp", s.host_ip, Emit::kAlways);
  v("HostPort", s.host_port, Emit::kAlways);
}

template <typename V, Is<HostConfig> S>
static void Fields(V& v, S& s) {
  v("Binds", s.binds);
  v("VolumesFrom", s.volumes_from);
  v("LogConfig", s.log_config, Emit::kAlways);
  v("NetworkMode", s.network_mode, Emit::kAlways);
  v("PortBindings", s.port_bindings, Emit::kAlways);
  v("RestartPolicy", s.restart_policy, Emit::kAlways);
  v("AutoRemove", s.auto_remove, Emit::kAlways);
  v("CapAdd", s.cap_add);
  v("CapDrop", s.cap_drop);
  v("CgroupnsMode", s.cgroupns_mode);
  v("ExtraHosts", s.extra_hosts);
  v("GroupAdd", s.group_add);
  v("IpcMode", s.ipc_mode, Emit::kAlways);
  v("OomScoreAdj", s.oom_score_adj, Emit::kAlways);
  v("PidMode", s.pid_mode, Emit::kAlways);
  v("Privileged", s.privileged, Emit::kAlways);
  v("PublishAllPorts", s.publish_all_ports, Emit::kAlways);
  v("ReadonlyRootfs", s.readonly_rootfs, Emit::kAlways);
  v("SecurityOpt", s.security_opt);
  v("Tmpfs", s.tmpfs);
  v("UTSMode", s.uts_mode, Emit::kAlways);
  v("ShmSize", s.shm_size, Emit::kAlways);
  v("Sysctls", s.sysctls);
  v("Runtime", s.runtime);
  v("CpuShares", s.cpu_shares, Emit::kAlways);
  v("Memory", s.memory, Emit::kAlways);
  v("NanoCpus", s.nano_cpus, Emit::kAlways);
  v("CgroupParent", s.cgroup_parent, Emit::kAlways);
  v("BlkioWeight", s.blkio_weight, Emit::kAlways);
  v("CpuPeriod", s.cpu_period, Emit::kAlways);
  v("CpuQuota", s.cpu_quota, Emit::kAlways);
  v("CpusetCpus", s.cpuset_cpus, Emit::kAlways);
  v("CpusetMems", s.cpuset_mems, Emit::kAlways);
  v("MemoryReservation", s.memory_reservation, Emit::kAlways);
  v("MemorySwap", s.memory_swap, Emit::kAlways);
  v("MemorySwappiness", s.memory_swappiness);
  v("OomKillDisable", s.oom_kill_disable);
  v("PidsLimit", s.pids_limit);
  v("Ulimits", s.ulimits);
  v("Mounts", s.mounts);
  v("MaskedPaths", s.masked_paths);
  v("ReadonlyPaths", s.readonly_paths);
  v("Init", s.init);
}

// IPAMConfig's one field is kept flat in EndpointConfig.
struct EndpointIpam {
  std::string ipv4_address;
};
template <typename V, Is<EndpointIpam> S>
static void Fields(V& v, S& s) {
  v("IPv4Address", s.ipv4_address);
}

template <typename V, Is<EndpointConfig> S>
static void Fields(V& v, S& s) {
  if constexpr (std::is_const_v<S>) {
    v("IPAMConfig", EndpointIpam{s.ipv4_address});
  } else {
    EndpointIpam ipam;
    v("IPAMConfig", ipam);
    s.ipv4_address = ipam.ipv4_address;
  }
  v("Aliases", s.aliases);
}

template <typename V, Is<ExecConfig> S>
static void Fields(V& v, S& s) {
  v("User", s.user);
  v("Privileged", s.privileged);
  v("Tty", s.tty);
  v("AttachStdin", s.attach_stdin);
  v("AttachStderr", s.attach_stderr);
  v("AttachStdout", s.attach_stdout);
  v("DetachKeys", s.detach_keys);
  v("Env", s.env);
  v("WorkingDir", s.working_dir);
  v("Cmd", s.cmd);
}

namespace {

Status Invalid(std::string_view field, std::string message) {
  return Fail(DecodeError(std::string(field), std::move(message)));
}

}  // namespace

Status CheckHostConfig(const HostConfig& h) {
  static const std::set<std::string> kPolicies = {"", "no", "always", "unless-stopped",
                                                  "on-failure"};
  const std::string& policy = h.restart_policy.name;
  if (!kPolicies.contains(policy)) {
    return Invalid("HostConfig.RestartPolicy.Name", "invalid restart policy '" + policy + "'");
  }
  if (h.restart_policy.maximum_retry_count < 0) {
    return Invalid("HostConfig.RestartPolicy.MaximumRetryCount",
                   "maximum retry count cannot be negative");
  }
  if (h.restart_policy.maximum_retry_count > 0 && policy != "on-failure") {
    return Invalid("HostConfig.RestartPolicy.MaximumRetryCount",
                   "maximum retry count can only be used with 'on-failure'");
  }
  if (h.auto_remove && policy != "" && policy != "no") {
    return Invalid("HostConfig.AutoRemove",
                   "can't create 'AutoRemove' container with restart policy");
  }
  const std::pair<const char*, int64_t> limits[] = {
      {"Memory", h.memory},           {"MemoryReservation", h.memory_reservation},
      {"NanoCpus", h.nano_cpus},      {"CpuShares", h.cpu_shares},
      {"CpuPeriod", h.cpu_period},    {"ShmSize", h.shm_size},
      {"BlkioWeight", h.blkio_weight}};
  for (const auto& [name, value] : limits) {
    if (value < 0) return Invalid(fmt::format("HostConfig.{}", name), "cannot be negative");
  }
  if (h.memory > 0 && h.memory < 6 * 1024 * 1024) {
    return Invalid("HostConfig.Memory", "minimum memory limit allowed is 6MB");
  }
  if (h.memory_swap > 0 && h.memory > 0 && h.memory_swap < h.memory) {
    return Invalid("HostConfig.MemorySwap",
                   "minimum memoryswap limit should be larger than memory limit");
  }
  if (h.nano_cpus > 0 && (h.cpu_quota > 0 || h.cpu_period > 0)) {
    return Invalid("HostConfig.NanoCpus",
                   "conflicting options: Nano CPUs and CPU Period/Quota cannot both be set");
  }
  if (h.cpu_period != 0 && (h.cpu_period < 1000 || h.cpu_period > 1000000)) {
    return Invalid("HostConfig.CpuPeriod", "must be between 1ms and 1s (1000-1000000)");
  }
  if (h.blkio_weight != 0 && (h.blkio_weight < 10 || h.blkio_weight > 1000)) {
    return Invalid("HostConfig.BlkioWeight", "must be between 10 and 1000");
  }
  if (h.memory_swappiness && (*h.memory_swappiness < -1 || *h.memory_swappiness > 100)) {
    return Invalid("HostConfig.MemorySwappiness", "must be between 0 and 100");
  }
  if (h.oom_score_adj < -1000 || h.oom_score_adj > 1000) {
    return Invalid("HostConfig.OomScoreAdj", "must be between -1000 and 1000");
  }
  const std::string& driver = h.log_config.type;
  if (driver != "" && driver != "json-file" && driver != "none") {
    return Invalid("HostConfig.LogConfig.Type",
                   "logging driver '" + driver + "' is not supported (json-file, none)");
  }
  BERTH_TRY(ParseLogRotation(h.log_config));
  for (const auto& [path, options] : h.tmpfs) {
    if (path.empty() || path[0] != '/') {
      return Invalid("HostConfig.Tmpfs", "tmpfs path '" + path + "' is not absolute");
    }
  }
  return Ok();
}

Result<LogRotation> ParseLogRotation(const LogConfig& log_config) {
  LogRotation rotation;
  for (const auto& [key, value] : log_config.config) {
    const std::string field = "HostConfig.LogConfig.Config." + key;
    if (key == "max-size") {
      // docker's RAMInBytes: a number and an optional unit (b, k, m, g, t; "kb", "mib" alike).
      size_t digits = 0;
      while (digits < value.size() &&
             (std::isdigit(static_cast<unsigned char>(value[digits])) || value[digits] == '.')) {
        ++digits;
      }
      std::string unit = value.substr(digits);
      std::transform(unit.begin(), unit.end(), unit.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      static const std::map<std::string, int64_t> kUnits = {
          {"", 1},           {"b", 1},           {"k", 1LL << 10},
          {"kb", 1LL << 10}, {"kib", 1LL << 10}, {"m", 1LL << 20},
          {"mb", 1LL << 20}, {"mib", 1LL << 20}, {"g", 1LL << 30},
          {"gb", 1LL << 30}, {"gib", 1LL << 30}, {"t", 1LL << 40},
          {"tb", 1LL << 40}, {"tib", 1LL << 40}};
      auto it = kUnits.find(unit);
      const std::string number = value.substr(0, digits);
      char* end = nullptr;
      const double amount = std::strtod(number.c_str(), &end);
      if (number.empty() || end != number.c_str() + number.size() || it == kUnits.end() ||
          amount * static_cast<double>(it->second) > 9e18) {
        return Fail(DecodeError(field, "invalid size: '" + value + "'"));
      }
      rotation.max_size = static_cast<int64_t>(amount * static_cast<double>(it->second));
    } else if (key == "max-file") {
      int count = 0;
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || count > 100000) {
          return Fail(DecodeError(field, "invalid number: '" + value + "'"));
        }
        count = count * 10 + (c - '0');
      }
      if (value.empty() || count < 1) {
        return Fail(DecodeError(field, "max-file cannot be less than 1"));
      }
      rotation.max_file = count;
    } else if (key != "compress" && key != "labels" && key != "env" && key != "tag") {
      return Fail(DecodeError(field, "unknown log opt '" + key + "' for json-file log driver"));
    }
  }
  return rotation;
}

Result<ExecConfig> DecodeExecConfig(const Json& body) {
  ExecConfig config;
  BERTH_TRY(oci::json_codec::Read(body, "", config));
  return config;
}

Result<Config> DecodeConfig(const Json& json, const std::string& path) {
  Config config;
  BERTH_TRY(oci::json_codec::Read(json, path, config));
  BERTH_TRY(oci::json_codec::ReadContainerConfig(json, path, config.image));
  return config;
}

Result<HostConfig> DecodeHostConfig(const Json& json, const std::string& path) {
  HostConfig host_config;
  BERTH_TRY(oci::json_codec::Read(json, path, host_config));
  return host_config;
}

Result<EndpointConfig> DecodeEndpointConfig(const Json& json, const std::string& path) {
  EndpointConfig config;
  if (json.is_null()) return config;
  if (!json.is_object()) return Fail(DecodeError(path, "expected an object"));
  BERTH_TRY(oci::json_codec::Read(json, path, config));
  return config;
}

Result<CreateRequest> DecodeCreateRequest(const Json& body) {
  CreateRequest request;
  BERTH_ASSIGN_OR_RETURN(request.config, DecodeConfig(body, ""));
  if (auto it = body.find("HostConfig"); it != body.end() && !it->is_null()) {
    BERTH_ASSIGN_OR_RETURN(request.host_config, DecodeHostConfig(*it, "HostConfig"));
  }
  BERTH_TRY(CheckHostConfig(request.host_config));
  if (auto networking = body.find("NetworkingConfig");
      networking != body.end() && networking->is_object()) {
    if (auto endpoints = networking->find("EndpointsConfig");
        endpoints != networking->end() && endpoints->is_object()) {
      for (const auto& [name, endpoint] : endpoints->items()) {
        BERTH_ASSIGN_OR_RETURN(
            request.endpoints[name],
            DecodeEndpointConfig(endpoint, "NetworkingConfig.EndpointsConfig." + name));
      }
    }
  }
  BERTH_TRY(CheckHealthcheck(request.config.image.healthcheck));
  if (request.config.stop_timeout && *request.config.stop_timeout < -1) {
    return Fail(DecodeError("StopTimeout", "must be -1 (no timeout) or more"));
  }
  return request;
}

// Docker writes the shared fields in one object, ordered as its Go type: the extras first, then
// the image config's, with Cmd, Entrypoint and Env as null rather than absent.
OrderedJson ConfigJson(const Config& config) {
  OrderedJson out = oci::json_codec::ToJson(config);
  OrderedJson image = oci::json_codec::ContainerConfigJson(config.image);
  for (const char* key : {"Env", "Cmd", "Entrypoint", "OnBuild", "Labels"}) {
    if (!image.contains(key)) image[key] = nullptr;
  }
  for (const char* key : {"User", "WorkingDir"}) {
    if (!image.contains(key)) image[key] = "";
  }
  for (auto& [key, value] : image.items()) out[key] = value;
  return out;
}

OrderedJson HostConfigJson(const HostConfig& host_config) {
  OrderedJson out = oci::json_codec::ToJson(host_config);
  for (const char* key :
       {"Binds", "VolumesFrom", "CapAdd", "CapDrop", "SecurityOpt", "Mounts", "Ulimits"}) {
    if (!out.contains(key)) out[key] = nullptr;
  }
  return out;
}

}  // namespace berth::daemon::container
