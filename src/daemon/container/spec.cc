#include "daemon/container/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "base/strings.h"
#include "oci/defaults.h"
#include "oci/linux_names.h"

namespace berth::daemon::container {
namespace {

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr int64_t kDefaultShmSize = 64 << 20;
constexpr int64_t kCpuPeriod = 100000;  // µs, the CFS default docker uses with NanoCpus

Error InvalidError(const std::string& field, const std::string& message) {
  return Error(ErrorKind::kInvalidArgument, field + ": " + message);
}

Status Invalid(const std::string& field, const std::string& message) {
  return Fail(InvalidError(field, message));
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out;
}

// docker's default capability set.
std::vector<std::string> DefaultCapabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

// NormalizeCapability accepts "NET_ADMIN", "net_admin" and "CAP_NET_ADMIN".
Result<std::string> NormalizeCapability(std::string_view name, const std::string& field) {
  std::string upper = Upper(name);
  if (upper == "ALL") return upper;
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  if (!oci::CapabilityNumber(upper)) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: unknown capability: \"{}\"", field, std::string(name)));
  }
  return upper;
}

Result<std::vector<std::string>> Capabilities(const HostConfig& host) {
  if (host.privileged) return oci::AllCapabilityNames();
  std::vector<std::string> add, drop;
  for (const std::string& cap : host.cap_add) {
    BERTH_ASSIGN_OR_RETURN(std::string name, NormalizeCapability(cap, "HostConfig.CapAdd"));
    add.push_back(std::move(name));
  }
  for (const std::string& cap : host.cap_drop) {
    BERTH_ASSIGN_OR_RETURN(std::string name, NormalizeCapability(cap, "HostConfig.CapDrop"));
    drop.push_back(std::move(name));
  }
  auto has = [](const std::vector<std::string>& list, const std::string& cap) {
    return std::find(list.begin(), list.end(), cap) != list.end();
  };
  // As docker: ALL in add grants every capability but those dropped by name; ALL in drop drops
  // every capability but those added by name.
  std::vector<std::string> caps = has(add, "ALL")    ? oci::AllCapabilityNames()
                                  : has(drop, "ALL") ? std::vector<std::string>{}
                                                     : DefaultCapabilities();
  for (const std::string& cap : add) {
    if (cap != "ALL" && !has(caps, cap)) caps.push_back(cap);
  }
  std::erase_if(caps, [&](const std::string& cap) { return has(drop, cap) && !has(add, cap); });
  return caps;
}

// DefaultMounts are the runtime-spec defaults (oci/defaults.h), as docker's are, with docker's
// differences: /proc nosuid, noexec and nodev; /dev/shm sized by ShmSize; /sys and its cgroups
// writable when privileged; and the container's /etc files bound.
std::vector<oci::Mount> DefaultMounts(std::vector<oci::Mount> mounts, const HostConfig& host,
                                      const SpecInput& input) {
  const int64_t shm = host.shm_size > 0 ? host.shm_size : kDefaultShmSize;
  for (oci::Mount& m : mounts) {
    if (m.destination == "/proc") {
      m.options = {"nosuid", "noexec", "nodev"};
    } else if (m.destination == "/dev/shm") {
      for (std::string& option : m.options) {
        if (option.starts_with("size=")) option = fmt::format("size={}", shm);
      }
    } else if (host.privileged && m.destination.starts_with("/sys")) {
      std::erase(m.options, "ro");
    }
  }
  auto bind_file = [&](const std::string& source, const char* destination) {
    if (source.empty()) return;
    mounts.push_back({.destination = destination,
                      .type = "bind",
                      .source = source,
                      .options = {"rbind", "rprivate"}});
  };
  bind_file(input.hostname_file, "/etc/hostname");
  bind_file(input.hosts_file, "/etc/hosts");
  bind_file(input.resolv_conf_file, "/etc/resolv.conf");
  return mounts;
}

std::vector<oci::Mount> UserMounts(const HostConfig& host, const SpecInput& input) {
  std::vector<oci::Mount> mounts = OciMounts(input.mounts);
  for (const auto& [path, options] : host.tmpfs) mounts.push_back(TmpfsMount(path, options));
  return mounts;
}

Result<std::vector<oci::Rlimit>> Rlimits(const HostConfig& host) {
  std::vector<oci::Rlimit> rlimits;
  for (const Ulimit& u : host.ulimits) {
    const std::string type = "RLIMIT_" + Upper(u.name);
    if (!oci::RlimitNumber(type)) {
      return Fail(InvalidError("HostConfig.Ulimits", "invalid ulimit type: " + u.name));
    }
    if (u.soft < 0 || u.hard < 0 || u.soft > u.hard) {
      return Fail(InvalidError("HostConfig.Ulimits",
                               fmt::format("ulimit {}: soft limit {} is above hard limit {} or "
                                           "negative",
                                           u.name, u.soft, u.hard)));
    }
    rlimits.push_back({.type = type,
                       .soft = static_cast<uint64_t>(u.soft),
                       .hard = static_cast<uint64_t>(u.hard)});
  }
  return rlimits;
}

}  // namespace

oci::Resources ResourcesOf(const HostConfig& host) {
  oci::Resources r;
  if (host.privileged) {
    r.devices = {{.allow = true, .access = "rwm"}};
  } else {
    r.devices = {{.allow = false, .access = "rwm"}};  // the runtime adds the standard nodes
  }
  oci::MemoryResources memory;
  if (host.memory > 0) {
    memory.limit = host.memory;
    // docker: no MemorySwap means as much swap as memory; -1 unlimited.
    memory.swap = host.memory_swap != 0 ? host.memory_swap : host.memory * 2;
  }
  if (host.memory_reservation > 0) memory.reservation = host.memory_reservation;
  if (host.memory_swappiness && *host.memory_swappiness >= 0) {
    memory.swappiness = static_cast<uint64_t>(*host.memory_swappiness);
  }
  if (host.oom_kill_disable && *host.oom_kill_disable) memory.disable_oom_killer = true;
  if (memory.limit || memory.reservation || memory.swappiness || memory.disable_oom_killer) {
    r.memory = memory;
  }
  oci::CpuResources cpu;
  if (host.cpu_shares > 0) cpu.shares = static_cast<uint64_t>(host.cpu_shares);
  if (host.nano_cpus > 0) {
    cpu.period = kCpuPeriod;
    cpu.quota = host.nano_cpus * kCpuPeriod / 1000000000;
  }
  if (host.cpu_period > 0) cpu.period = static_cast<uint64_t>(host.cpu_period);
  if (host.cpu_quota > 0) cpu.quota = host.cpu_quota;
  cpu.cpus = host.cpuset_cpus;
  cpu.mems = host.cpuset_mems;
  if (cpu.shares || cpu.quota || cpu.period || !cpu.cpus.empty() || !cpu.mems.empty()) {
    r.cpu = cpu;
  }
  if (host.pids_limit && *host.pids_limit > 0) r.pids = oci::PidsResources{*host.pids_limit};
  if (host.blkio_weight > 0) {
    r.block_io = oci::BlockIoResources{.weight = static_cast<uint16_t>(host.blkio_weight)};
  }
  return r;
}

namespace {

// ApplySecurityOptions applies HostConfig.SecurityOpt to spec, whose capabilities are planned:
// no-new-privileges, and seccomp — docker's default profile unless the container is privileged,
// "seccomp=unconfined", or a profile's JSON (the docker CLI sends a file's content).
Status ApplySecurityOptions(const HostConfig& host, const SeccompHost& seccomp_host,
                            oci::Spec& spec) {
  std::optional<std::string> seccomp;
  for (const std::string& option : host.security_opt) {
    const size_t sep = option.find_first_of("=:");
    const std::string key = option.substr(0, sep);
    const std::string value = sep == std::string::npos ? "" : option.substr(sep + 1);
    if (key == "no-new-privileges") {
      if (value != "" && value != "true" && value != "false") {
        return Invalid("HostConfig.SecurityOpt", "invalid no-new-privileges value: " + value);
      }
      spec.process->no_new_privileges = value != "false";
    } else if (key == "seccomp") {
      seccomp = value;
    } else if (key == "apparmor" || key == "label") {
      // Neither AppArmor nor SELinux is managed by berth; docker accepts these on hosts
      // without them, and so does berth.
    } else {
      return Invalid("HostConfig.SecurityOpt", "invalid --security-opt: " + option);
    }
  }
  if (host.privileged || seccomp == "unconfined") return Ok();
  const std::vector<std::string>& caps = spec.process->capabilities->bounding;
  if (!seccomp || seccomp == "builtin") {
    spec.linux->seccomp = PlanSeccomp(DefaultSeccompProfile(), caps, seccomp_host);
    return Ok();
  }
  BERTH_ASSIGN_OR_RETURN(SeccompProfile profile,
                         Annotate(DecodeSeccompProfile(*seccomp), "HostConfig.SecurityOpt"));
  spec.linux->seccomp = PlanSeccomp(profile, caps, seccomp_host);
  return Ok();
}

std::vector<oci::Namespace> Namespaces(const HostConfig& host, const SpecInput& input) {
  std::vector<oci::Namespace> namespaces = {{.type = "mount"}};
  if (host.pid_mode != "host") namespaces.push_back({.type = "pid"});
  if (host.ipc_mode != "host") namespaces.push_back({.type = "ipc"});
  if (host.uts_mode != "host") namespaces.push_back({.type = "uts"});
  if (host.network_mode != "host") {
    namespaces.push_back({.type = "network", .path = input.netns_path});
  }
  const bool cgroupns = host.cgroupns_mode == "private" ||
                        (host.cgroupns_mode.empty() && input.cgroupns_private_default);
  if (cgroupns) namespaces.push_back({.type = "cgroup"});
  return namespaces;
}

Status CheckModes(const HostConfig& host) {
  const std::pair<const char*, const std::string*> modes[] = {{"PidMode", &host.pid_mode},
                                                              {"UTSMode", &host.uts_mode}};
  for (const auto& [name, mode] : modes) {
    if (!mode->empty() && *mode != "host") {
      return Invalid(fmt::format("HostConfig.{}", name), "invalid mode: " + *mode);
    }
  }
  static const std::set<std::string> kIpc = {"", "private", "shareable", "host", "none"};
  if (!kIpc.contains(host.ipc_mode)) {
    return Invalid("HostConfig.IpcMode", "invalid IPC mode: " + host.ipc_mode);
  }
  if (!host.cgroupns_mode.empty() && host.cgroupns_mode != "host" &&
      host.cgroupns_mode != "private") {
    return Invalid("HostConfig.CgroupnsMode",
                   "invalid cgroup namespace mode: " + host.cgroupns_mode);
  }
  return Ok();
}

}  // namespace

std::string CgroupsPath(const HostConfig& host, const std::string& id) {
  return fmt::format("{}/{}", host.cgroup_parent.empty() ? "/berth" : host.cgroup_parent, id);
}

Result<std::vector<std::string>> Command(const Config& config, const oci::ContainerConfig& image) {
  std::vector<std::string> args;
  const bool own_entrypoint = config.image.entrypoint.has_value();
  const auto& entrypoint = own_entrypoint ? config.image.entrypoint : image.entrypoint;
  if (entrypoint) args = *entrypoint;
  const auto& cmd = config.image.cmd ? config.image.cmd : own_entrypoint ? std::nullopt : image.cmd;
  if (cmd) args.insert(args.end(), cmd->begin(), cmd->end());
  if (args.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "no command specified");
  }
  return args;
}

std::vector<std::string> Environment(const Config& config, const oci::ContainerConfig& image,
                                     const std::string& hostname) {
  std::vector<std::string> env;
  SetEnv(env, kDefaultPath);
  SetEnv(env, "HOSTNAME=" + hostname);
  if (config.tty) SetEnv(env, "TERM=xterm");
  for (const std::string& entry : image.env) SetEnv(env, entry);
  for (const std::string& entry : config.image.env) SetEnv(env, entry);
  return env;
}

Result<oci::Spec> BuildSpec(const Config& config, const HostConfig& host,
                            const oci::ContainerConfig& image, const SpecInput& input) {
  BERTH_TRY(CheckModes(host));
  oci::Spec spec;
  spec.oci_version = oci::kRuntimeSpecVersion;
  oci::Process process;
  BERTH_ASSIGN_OR_RETURN(process.args, Command(config, image));
  if (host.init.value_or(false)) {
    if (input.init_path.empty()) {
      return Fail(ErrorKind::kFailedPrecondition,
                  "HostConfig.Init: no init binary (docker-init or tini) is installed");
    }
    process.args.insert(process.args.begin(), {"/sbin/docker-init", "--"});
  }
  process.terminal = config.tty;
  process.env = Environment(config, image, input.hostname);
  process.cwd = !config.image.working_dir.empty() ? config.image.working_dir
                : !image.working_dir.empty()      ? image.working_dir
                                                  : "/";
  process.user = input.user;
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> caps, Capabilities(host));
  process.capabilities = oci::Capabilities{.bounding = caps, .effective = caps, .permitted = caps};
  BERTH_ASSIGN_OR_RETURN(process.rlimits, Rlimits(host));
  if (host.oom_score_adj != 0) process.oom_score_adj = host.oom_score_adj;
  spec.process = std::move(process);
  spec.root = oci::Root{.path = input.rootfs, .readonly = host.readonly_rootfs};
  spec.hostname = input.hostname;
  spec.domainname = config.domainname;
  if (host.uts_mode == "host") spec.hostname.clear();
  const oci::Spec defaults = oci::DefaultSpec(false);
  spec.mounts = DefaultMounts(defaults.mounts, host, input);
  const std::vector<oci::Mount> user_mounts = UserMounts(host, input);
  // A user's mount on a default destination (a bigger /dev/shm) replaces the default.
  for (const oci::Mount& mount : user_mounts) {
    std::erase_if(spec.mounts,
                  [&](const oci::Mount& m) { return m.destination == mount.destination; });
  }
  spec.mounts.insert(spec.mounts.end(), user_mounts.begin(), user_mounts.end());
  if (!input.init_path.empty() && host.init.value_or(false)) {
    spec.mounts.push_back({.destination = "/sbin/docker-init",
                           .type = "bind",
                           .source = input.init_path,
                           .options = {"bind", "ro"}});
  }
  oci::Linux linux;
  linux.namespaces = Namespaces(host, input);
  linux.resources = ResourcesOf(host);
  linux.cgroups_path = CgroupsPath(host, input.id);
  linux.sysctl = host.sysctls;
  if (!host.privileged) {
    linux.masked_paths = host.masked_paths;
    if (linux.masked_paths.empty()) {
      linux.masked_paths = defaults.linux->masked_paths;
      linux.masked_paths.push_back("/sys/devices/virtual/powercap");  // docker masks it too
    }
    linux.readonly_paths =
        host.readonly_paths.empty() ? defaults.linux->readonly_paths : host.readonly_paths;
  }
  spec.linux = std::move(linux);
  BERTH_TRY(ApplySecurityOptions(host, input.seccomp_host, spec));
  return spec;
}

}  // namespace berth::daemon::container
