#include "cli/container_options.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "base/file.h"
#include "base/strings.h"

namespace berth::cli {

using nlohmann::ordered_json;

namespace {

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ResolveEnv gives "NAME" the environment's value as docker does; "NAME=..." stays as it is.
std::string ResolveEnv(const std::string& entry) {
  if (entry.find('=') != std::string::npos) return entry;
  const char* value = std::getenv(entry.c_str());
  return value == nullptr ? entry : entry + "=" + value;
}

Result<ordered_json> RestartPolicy(const std::string& value) {
  std::vector<std::string> parts = Split(value, ':');
  const std::string& name = parts[0];
  if (parts.size() > 2 ||
      (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure")) {
    return Fail(Invalid("invalid restart policy format: " + value));
  }
  int64_t retries = 0;
  if (parts.size() == 2) {
    if (name != "on-failure") {
      return Fail(
          Invalid("invalid restart policy format: maximum retry count can only be used "
                  "with 'on-failure'"));
    }
    Result<int64_t> n = ParseInt64(parts[1]);
    if (!n || *n < 0)
      return Fail(Invalid("invalid restart policy format: bad retry count " + parts[1]));
    retries = *n;
  }
  return ordered_json{{"Name", name}, {"MaximumRetryCount", retries}};
}

Result<ordered_json> Ulimit(const std::string& value) {
  size_t eq = value.find('=');
  if (eq == std::string::npos) return Fail(Invalid("invalid ulimit argument: " + value));
  std::string name = value.substr(0, eq);
  std::vector<std::string> limits = Split(value.substr(eq + 1), ':');
  if (limits.size() > 2) return Fail(Invalid("too many limit value arguments - " + value));
  Result<int64_t> soft = ParseInt64(limits[0]);
  Result<int64_t> hard = limits.size() == 2 ? ParseInt64(limits[1]) : soft;
  if (!soft || !hard) return Fail(Invalid("invalid ulimit argument: " + value));
  if (*soft > *hard) {
    return Fail(
        Invalid(fmt::format("ulimit soft limit must be less than or equal to hard limit: "
                            "{} > {}",
                            *soft, *hard)));
  }
  return ordered_json{{"Name", name}, {"Hard", *hard}, {"Soft", *soft}};
}

// Mount parses --mount's CSV ("type=bind,source=/a,target=/b,readonly").
Result<ordered_json> Mount(const std::string& value) {
  ordered_json mount = {{"Type", "volume"}};
  for (const std::string& field : Split(value, ',')) {
    size_t eq = field.find('=');
    std::string key = Lower(field.substr(0, eq));
    std::string val = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "type") {
      if (val != "bind" && val != "volume" && val != "tmpfs") {
        return Fail(Invalid("invalid mount type \"" + val + "\""));
      }
      mount["Type"] = val;
    } else if (key == "source" || key == "src") {
      mount["Source"] = val;
    } else if (key == "target" || key == "destination" || key == "dst") {
      mount["Target"] = val;
    } else if (key == "readonly" || key == "ro") {
      mount["ReadOnly"] = eq == std::string::npos || val == "1" || val == "true";
    } else if (key == "bind-propagation") {
      mount["BindOptions"]["Propagation"] = val;
    } else if (key == "bind-nonrecursive") {
      mount["BindOptions"]["NonRecursive"] = eq == std::string::npos || val == "1" || val == "true";
    } else if (key == "volume-nocopy") {
      mount["VolumeOptions"]["NoCopy"] = eq == std::string::npos || val == "1" || val == "true";
    } else if (key == "volume-driver") {
      mount["VolumeOptions"]["DriverConfig"]["Name"] = val;
    } else if (key == "volume-label" || key == "volume-opt") {
      const size_t sep = val.find('=');
      const std::string name = val.substr(0, sep);
      const std::string item = sep == std::string::npos ? "" : val.substr(sep + 1);
      if (key == "volume-label") {
        mount["VolumeOptions"]["Labels"][name] = item;
      } else {
        mount["VolumeOptions"]["DriverConfig"]["Options"][name] = item;
      }
    } else if (key == "tmpfs-size") {
      BERTH_ASSIGN_OR_RETURN(int64_t size, RamInBytes(val));
      mount["TmpfsOptions"]["SizeBytes"] = size;
    } else if (key == "tmpfs-mode") {
      char* end = nullptr;
      long mode = std::strtol(val.c_str(), &end, 8);
      if (val.empty() || *end != '\0') return Fail(Invalid("invalid tmpfs-mode " + val));
      mount["TmpfsOptions"]["Mode"] = mode;
    } else if (key != "consistency") {
      return Fail(Invalid("unexpected key '" + key + "' in '" + field + "'"));
    }
  }
  if (!mount.contains("Target")) return Fail(Invalid("target is required"));
  return mount;
}

// AddPort adds one -p spec ("[ip:][hostPort:]containerPort[/proto]") to the exposed ports and
// the port bindings.
Status AddPort(const std::string& spec, ordered_json& exposed, ordered_json& bindings) {
  std::string rest = spec, proto = "tcp";
  size_t slash = rest.rfind('/');
  if (slash != std::string::npos) {
    proto = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::vector<std::string> parts = Split(rest, ':');
  std::string ip, host_port, container_port;
  if (parts.size() == 1) {
    container_port = parts[0];
  } else if (parts.size() == 2) {
    host_port = parts[0];
    container_port = parts[1];
  } else if (parts.size() == 3) {
    ip = parts[0];
    host_port = parts[1];
    container_port = parts[2];
  } else {
    return Fail(Invalid("invalid port format: " + spec));
  }
  if (!ParseUint64(container_port) || (!host_port.empty() && !ParseUint64(host_port)) ||
      (proto != "tcp" && proto != "udp" && proto != "sctp")) {
    return Fail(Invalid("invalid port format: " + spec));
  }
  const std::string key = container_port + "/" + proto;
  exposed[key] = ordered_json::object();
  bindings[key].push_back({{"HostIp", ip}, {"HostPort", host_port}});
  return Ok();
}

// SecurityOpts is --security-opt as the docker CLI sends it: a seccomp profile named by its path
// is sent as its content.
Result<std::vector<std::string>> SecurityOpts(const std::vector<std::string>& options) {
  std::vector<std::string> out;
  for (const std::string& option : options) {
    const size_t sep = option.find_first_of("=:");
    const std::string value = sep == std::string::npos ? "" : option.substr(sep + 1);
    if (option.substr(0, sep) != "seccomp" || value == "unconfined" || value == "builtin") {
      out.push_back(option);
      continue;
    }
    Result<std::string> text = ReadFile(value);
    if (!text) {
      return Fail(Invalid(
          fmt::format("opening seccomp profile ({}) failed: {}", value, text.error().message())));
    }
    const ordered_json profile = ordered_json::parse(*text, nullptr, false);
    if (profile.is_discarded()) {
      return Fail(Invalid(fmt::format("compacting json for seccomp profile ({}) failed", value)));
    }
    out.push_back("seccomp=" + profile.dump());
  }
  return out;
}

Result<ordered_json> Healthcheck(const ContainerOptions& o) {
  const bool configured = !o.health_cmd.empty() || !o.health_interval.empty() ||
                          !o.health_timeout.empty() || !o.health_start_period.empty() ||
                          !o.health_start_interval.empty() || o.health_retries != 0;
  if (o.no_healthcheck) {
    if (configured) {
      return Fail(Invalid("--no-healthcheck conflicts with --health-* options"));
    }
    return ordered_json{{"Test", {"NONE"}}};
  }
  if (!configured) return ordered_json();
  ordered_json check = ordered_json::object();
  if (!o.health_cmd.empty()) check["Test"] = {"CMD-SHELL", o.health_cmd};
  auto duration = [&](const char* key, const std::string& text, const char* flag) -> Status {
    if (text.empty()) return Ok();
    Result<int64_t> nanos = ParseGoDuration(text);
    if (!nanos || *nanos < 0) {
      return Fail(Invalid(fmt::format("invalid argument \"{}\" for \"{}\" flag", text, flag)));
    }
    check[key] = *nanos;
    return Ok();
  };
  BERTH_TRY(duration("Interval", o.health_interval, "--health-interval"));
  BERTH_TRY(duration("Timeout", o.health_timeout, "--health-timeout"));
  BERTH_TRY(duration("StartPeriod", o.health_start_period, "--health-start-period"));
  BERTH_TRY(duration("StartInterval", o.health_start_interval, "--health-start-interval"));
  if (o.health_retries < 0) return Fail(Invalid("--health-retries cannot be negative"));
  if (o.health_retries > 0) check["Retries"] = o.health_retries;
  return check;
}

Result<ordered_json> HostConfig(const ContainerOptions& o, const FlagSet& flags,
                                ordered_json& config) {
  ordered_json host = ordered_json::object();
  ordered_json binds = ordered_json::array();
  for (const std::string& volume : o.volumes) {
    std::vector<std::string> parts = Split(volume, ':');
    if (volume.empty() || parts.size() > 3)
      return Fail(Invalid("invalid volume specification: '" + volume + "'"));
    if (parts.size() == 1) {
      config["Volumes"][volume] = ordered_json::object();
    } else {
      binds.push_back(volume);
    }
  }
  if (!binds.empty()) host["Binds"] = binds;
  for (const std::string& mount : o.mounts) {
    BERTH_ASSIGN_OR_RETURN(ordered_json m, Mount(mount));
    host["Mounts"].push_back(std::move(m));
  }
  if (!o.memory.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t bytes, RamInBytes(o.memory));
    host["Memory"] = bytes;
  }
  if (!o.memory_swap.empty()) {
    int64_t bytes = -1;
    if (o.memory_swap != "-1") {
      BERTH_ASSIGN_OR_RETURN(bytes, RamInBytes(o.memory_swap));
    }
    host["MemorySwap"] = bytes;
  }
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double cpus = std::strtod(o.cpus.c_str(), &end);
    if (*end != '\0' || cpus < 0 || !std::isfinite(cpus)) {
      return Fail(
          Invalid(fmt::format("invalid argument \"{}\" for \"--cpus\" flag: failed to "
                              "parse {} as a rational number",
                              o.cpus, o.cpus)));
    }
    host["NanoCpus"] = static_cast<int64_t>(std::llround(cpus * 1e9));
  }
  if (o.cpu_shares != 0) host["CpuShares"] = o.cpu_shares;
  if (!o.memory_reservation.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t bytes, RamInBytes(o.memory_reservation));
    host["MemoryReservation"] = bytes;
  }
  if (o.cpu_period != 0) host["CpuPeriod"] = o.cpu_period;
  if (o.cpu_quota != 0) host["CpuQuota"] = o.cpu_quota;
  if (!o.cpuset_cpus.empty()) host["CpusetCpus"] = o.cpuset_cpus;
  if (!o.cpuset_mems.empty()) host["CpusetMems"] = o.cpuset_mems;
  if (o.blkio_weight != 0) host["BlkioWeight"] = o.blkio_weight;
  if (flags.Changed("pids-limit")) host["PidsLimit"] = o.pids_limit;
  if (!o.cap_add.empty()) host["CapAdd"] = o.cap_add;
  if (!o.cap_drop.empty()) host["CapDrop"] = o.cap_drop;
  if (o.read_only) host["ReadonlyRootfs"] = true;
  if (o.privileged) host["Privileged"] = true;
  if (o.auto_remove) host["AutoRemove"] = true;
  if (flags.Changed("init")) host["Init"] = o.init;
  if (!o.volumes_from.empty()) host["VolumesFrom"] = o.volumes_from;
  if (!o.runtime.empty()) host["Runtime"] = o.runtime;
  for (const std::string& tmpfs : o.tmpfs) {
    size_t colon = tmpfs.find(':');
    host["Tmpfs"][tmpfs.substr(0, colon)] =
        colon == std::string::npos ? "" : tmpfs.substr(colon + 1);
  }
  for (const std::string& ulimit : o.ulimits) {
    BERTH_ASSIGN_OR_RETURN(ordered_json u, Ulimit(ulimit));
    host["Ulimits"].push_back(std::move(u));
  }
  if (!o.security_opt.empty()) {
    BERTH_ASSIGN_OR_RETURN(host["SecurityOpt"], SecurityOpts(o.security_opt));
  }
  BERTH_ASSIGN_OR_RETURN(host["RestartPolicy"], RestartPolicy(o.restart));
  if (o.auto_remove && host["RestartPolicy"]["Name"] != "no") {
    return Fail(Invalid("conflicting options: cannot specify both --restart and --rm"));
  }
  if (!o.network.empty()) host["NetworkMode"] = o.network;
  if (!o.dns.empty()) host["Dns"] = o.dns;
  if (!o.add_host.empty()) host["ExtraHosts"] = o.add_host;
  ordered_json bindings = ordered_json::object();
  ordered_json exposed = ordered_json::object();
  for (const std::string& port : o.publish) BERTH_TRY(AddPort(port, exposed, bindings));
  for (const std::string& port : o.expose) {
    std::string key = port.find('/') == std::string::npos ? port + "/tcp" : port;
    exposed[key] = ordered_json::object();
  }
  if (!exposed.empty()) config["ExposedPorts"] = exposed;
  if (!bindings.empty()) host["PortBindings"] = bindings;
  return host;
}

}  // namespace

void ContainerOptions::Register(FlagSet& flags, bool run) {
  if (run) {
    flags.Bool(&detach, "d,detach", "Run container in background and print container ID");
    flags.Bool(&sig_proxy, "sig-proxy", "Proxy received signals to the process");
    flags.String(&detach_keys, "detach-keys",
                 "Override the key sequence for detaching a container");
  }
  flags.Strings(&add_host, "add-host", "Add a custom host-to-IP mapping (host:ip)");
  flags.Strings(&attach, "a,attach", "Attach to STDIN, STDOUT or STDERR");
  flags.Strings(&cap_add, "cap-add", "Add Linux capabilities");
  flags.Strings(&cap_drop, "cap-drop", "Drop Linux capabilities");
  RegisterResources(flags);
  flags.Strings(&dns, "dns", "Set custom DNS servers");
  flags.String(&entrypoint, "entrypoint", "Overwrite the default ENTRYPOINT of the image");
  flags.Strings(&env, "e,env", "Set environment variables");
  flags.Strings(&env_file, "env-file", "Read in a file of environment variables");
  flags.Strings(&expose, "expose", "Expose a port or a range of ports");
  flags.String(&health_cmd, "health-cmd", "Command to run to check health");
  flags.String(&health_interval, "health-interval", "Time between running the check (ms|s|m|h)");
  flags.Int(&health_retries, "health-retries", "Consecutive failures needed to report unhealthy");
  flags.String(&health_start_period, "health-start-period",
               "Start period for the container to initialize before counting retries (ms|s|m|h)");
  flags.String(&health_start_interval, "health-start-interval",
               "Time between running the check during the start period (ms|s|m|h)");
  flags.String(&health_timeout, "health-timeout",
               "Maximum time to allow one check to run (ms|s|m|h)");
  flags.String(&hostname, "h,hostname", "Container host name");
  flags.Bool(&init, "init",
             "Run an init inside the container that forwards signals and reaps processes");
  flags.Bool(&interactive, "i,interactive", "Keep STDIN open even if not attached");
  flags.Strings(&labels, "l,label", "Set meta data on a container");
  flags.Strings(&mounts, "mount", "Attach a filesystem mount to the container");
  flags.String(&name, "name", "Assign a name to the container");
  flags.String(&network, "network", "Connect a container to a network");
  flags.String(&ip, "ip", "IPv4 address (e.g., 172.30.100.104)");
  flags.Strings(&network_aliases, "network-alias", "Add network-scoped alias for the container");
  flags.Bool(&no_healthcheck, "no-healthcheck", "Disable any container-specified HEALTHCHECK");
  flags.String(&platform, "platform", "Set platform if server is multi-platform capable");
  flags.Bool(&privileged, "privileged", "Give extended privileges to this container");
  flags.Strings(&publish, "p,publish", "Publish a container's port(s) to the host");
  flags.String(&pull, "pull", "Pull image before running (\"always\", \"missing\", \"never\")");
  flags.Bool(&read_only, "read-only", "Mount the container's root filesystem as read only");
  flags.String(&restart, "restart", "Restart policy to apply when a container exits");
  flags.Bool(&restart_on_unhealthy, "restart-on-unhealthy",
             "Restart the container when it turns unhealthy (label berth.restart-on-unhealthy)");
  flags.Bool(
      &auto_remove, "rm",
      "Automatically remove the container and its associated anonymous volumes when it exits");
  flags.String(&runtime, "runtime", "Runtime to use for this container");
  flags.Strings(&security_opt, "security-opt", "Security Options");
  flags.String(&stop_signal, "stop-signal", "Signal to stop the container");
  flags.Int(&stop_timeout, "stop-timeout", "Timeout (in seconds) to stop a container");
  flags.Strings(&tmpfs, "tmpfs", "Mount a tmpfs directory");
  flags.Bool(&tty, "t,tty", "Allocate a pseudo-TTY");
  flags.Strings(&ulimits, "ulimit", "Ulimit options");
  flags.String(&user, "u,user", "Username or UID (format: <name|uid>[:<group|gid>])");
  flags.Strings(&volumes, "v,volume", "Bind mount a volume");
  flags.Strings(&volumes_from, "volumes-from", "Mount volumes from the specified container(s)");
  flags.String(&workdir, "w,workdir", "Working directory inside the container");
}

void ContainerOptions::RegisterResources(FlagSet& flags) {
  flags.Int(&blkio_weight, "blkio-weight",
            "Block IO (relative weight), between 10 and 1000, or 0 to disable");
  flags.Int(&cpu_period, "cpu-period", "Limit CPU CFS (Completely Fair Scheduler) period");
  flags.Int(&cpu_quota, "cpu-quota", "Limit CPU CFS (Completely Fair Scheduler) quota");
  flags.Int(&cpu_shares, "c,cpu-shares", "CPU shares (relative weight)");
  flags.String(&cpus, "cpus", "Number of CPUs");
  flags.String(&cpuset_cpus, "cpuset-cpus", "CPUs in which to allow execution (0-3, 0,1)");
  flags.String(&cpuset_mems, "cpuset-mems", "MEMs in which to allow execution (0-3, 0,1)");
  flags.String(&memory, "m,memory", "Memory limit");
  flags.String(&memory_reservation, "memory-reservation", "Memory soft limit");
  flags.String(&memory_swap, "memory-swap",
               "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  flags.Int(&pids_limit, "pids-limit", "Tune container pids limit (set -1 for unlimited)");
}

Result<int64_t> RamInBytes(const std::string& size) {
  size_t digits = 0;
  while (digits < size.size() &&
         (std::isdigit(static_cast<unsigned char>(size[digits])) || size[digits] == '.')) {
    ++digits;
  }
  std::string number = size.substr(0, digits);
  std::string unit = Lower(size.substr(digits));
  char* end = nullptr;
  double value = number.empty() ? 0 : std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0') return Fail(Invalid("invalid size: '" + size + "'"));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1024.0},
      {"m", 1024.0 * 1024},
      {"g", 1024.0 * 1024 * 1024},
      {"t", 1024.0 * 1024 * 1024 * 1024},
      {"p", 1024.0 * 1024 * 1024 * 1024 * 1024}};
  for (const auto& [name, multiplier] : kUnits) {
    if (unit == name) return static_cast<int64_t>(value * multiplier);
  }
  return Fail(Invalid("invalid size: '" + size + "'"));
}

Result<int64_t> ParseGoDuration(const std::string& text) {
  if (text == "0") return int64_t{0};
  static const std::pair<const char*, double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  size_t i = 0;
  if (text.empty()) return Fail(Invalid("time: invalid duration \"\""));
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return Fail(Invalid("time: invalid duration \"" + text + "\""));
    double value = std::strtod(text.substr(start, i - start).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.')
      ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    bool found = false;
    for (const auto& [name, nanos] : kUnits) {
      if (unit == name) {
        total += value * nanos;
        found = true;
      }
    }
    if (!found) {
      return Fail(Invalid(unit.empty() ? "time: missing unit in duration \"" + text + "\""
                                       : "time: unknown unit \"" + unit + "\" in duration \"" +
                                             text + "\""));
    }
  }
  return static_cast<int64_t>(total);
}

Result<std::vector<std::string>> ParseEnvFile(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> out;
  for (const std::string& raw : Split(text, '\n')) {
    std::string line(TrimSpace(raw));
    if (line.empty() || line[0] == '#') continue;
    if (line.find('=') == std::string::npos) {
      const char* value = std::getenv(line.c_str());
      if (value != nullptr) out.push_back(line + "=" + value);
      continue;
    }
    out.push_back(line);
  }
  return out;
}

Result<ordered_json> CreateBody(const ContainerOptions& o, const FlagSet& flags,
                                const std::string& image, const std::vector<std::string>& command) {
  ordered_json config = ordered_json::object();
  if (!o.hostname.empty()) config["Hostname"] = o.hostname;
  if (!o.user.empty()) config["User"] = o.user;
  bool attach_stdin = o.interactive, attach_stdout = true, attach_stderr = true;
  if (!o.attach.empty()) {
    attach_stdin = attach_stdout = attach_stderr = false;
    for (const std::string& stream : o.attach) {
      std::string s = Lower(stream);
      if (s == "stdin") {
        attach_stdin = true;
      } else if (s == "stdout") {
        attach_stdout = true;
      } else if (s == "stderr") {
        attach_stderr = true;
      } else {
        return Fail(Invalid("invalid argument \"" + stream +
                            "\" for \"-a, --attach\" flag: valid "
                            "streams are STDIN, STDOUT and STDERR"));
      }
    }
  }
  if (o.detach) attach_stdin = attach_stdout = attach_stderr = false;
  config["AttachStdin"] = attach_stdin;
  config["AttachStdout"] = attach_stdout;
  config["AttachStderr"] = attach_stderr;
  config["Tty"] = o.tty;
  config["OpenStdin"] = o.interactive;
  config["StdinOnce"] = o.interactive && attach_stdin;
  std::vector<std::string> env;
  for (const std::string& file : o.env_file) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> lines, ParseEnvFile(file));
    env.insert(env.end(), lines.begin(), lines.end());
  }
  for (const std::string& entry : o.env) {
    if (entry.empty() || entry[0] == '=') {
      return Fail(Invalid("invalid argument \"" + entry +
                          "\" for \"-e, --env\" flag: invalid "
                          "environment variable: " +
                          entry));
    }
    env.push_back(ResolveEnv(entry));
  }
  if (!env.empty()) config["Env"] = env;
  if (!command.empty()) config["Cmd"] = command;
  config["Image"] = image;
  if (!o.workdir.empty()) config["WorkingDir"] = o.workdir;
  if (!o.entrypoint.empty()) {
    config["Entrypoint"] = {o.entrypoint};
  } else if (flags.Changed("entrypoint")) {
    config["Entrypoint"] = {""};
  }
  if (!o.labels.empty() || o.restart_on_unhealthy) {
    ordered_json labels = ordered_json::object();
    for (const std::string& label : o.labels) {
      size_t eq = label.find('=');
      labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
    }
    if (o.restart_on_unhealthy) labels["berth.restart-on-unhealthy"] = "true";
    config["Labels"] = labels;
  }
  if (!o.stop_signal.empty()) config["StopSignal"] = o.stop_signal;
  if (flags.Changed("stop-timeout")) config["StopTimeout"] = o.stop_timeout;
  BERTH_ASSIGN_OR_RETURN(ordered_json health, Healthcheck(o));
  if (!health.is_null()) config["Healthcheck"] = health;
  BERTH_ASSIGN_OR_RETURN(ordered_json host, HostConfig(o, flags, config));
  config["HostConfig"] = std::move(host);
  if (!o.ip.empty() || !o.network_aliases.empty()) {
    // As docker: --ip and --network-alias apply to the network --network names.
    if (o.network.empty() || o.network == "default" || o.network == "bridge") {
      return Fail(Invalid(!o.ip.empty()
                              ? "user specified IP address is supported on user defined networks "
                                "only"
                              : "network-scoped alias is supported only for containers in user "
                                "defined networks"));
    }
    ordered_json endpoint = ordered_json::object();
    if (!o.ip.empty()) endpoint["IPAMConfig"] = {{"IPv4Address", o.ip}};
    if (!o.network_aliases.empty()) endpoint["Aliases"] = o.network_aliases;
    config["NetworkingConfig"]["EndpointsConfig"][o.network] = std::move(endpoint);
  }
  return config;
}

}  // namespace berth::cli
