// The flags of docker's run and create and their mapping onto the Engine API's create request
// (POST /containers/create: Config fields, HostConfig, NetworkingConfig; swagger's
// ContainerConfig and HostConfig). Parsing values (sizes, durations, ulimits, restart policies,
// mounts, ports) is pure and unit-tested; nothing here talks to the daemon.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cli/flags.h"

namespace berth::cli {

struct ContainerOptions {
  bool detach = false, interactive = false, tty = false, auto_remove = false;
  bool init = false, read_only = false, privileged = false, no_healthcheck = false;
  bool restart_on_unhealthy = false;  // berth's: the label berth.restart-on-unhealthy=true
  std::string name, workdir, user, entrypoint, restart = "no", memory, memory_swap, cpus;
  std::string hostname, stop_signal, network, platform, pull = "missing", detach_keys, ip;
  std::string runtime;
  std::string health_cmd, health_interval, health_timeout, health_start_period;
  std::string health_start_interval, memory_reservation, cpuset_cpus, cpuset_mems;
  int64_t cpu_period = 0, cpu_quota = 0, blkio_weight = 0;
  int64_t pids_limit = 0, stop_timeout = 0, health_retries = 0, cpu_shares = 0;
  bool sig_proxy = true;
  std::vector<std::string> env, env_file, volumes, mounts, cap_add, cap_drop, tmpfs, labels;
  std::vector<std::string> ulimits, security_opt, publish, expose, attach, dns, add_host;
  std::vector<std::string> network_aliases, volumes_from;

  // Register adds docker's run/create flags; run adds -d/--detach, --rm is shared.
  void Register(FlagSet& flags, bool run);
  // RegisterResources adds the resource flags run, create and update share.
  void RegisterResources(FlagSet& flags);
};

// CreateBody builds the create request's JSON for image and the command after it. flags tells
// which optional flags were given (--entrypoint "" clears the image's entrypoint, --stop-timeout
// 0 differs from none). Environment variables named without a value (-e NAME) and env files are
// resolved here. A malformed value is kInvalidArgument naming the flag's value.
Result<nlohmann::ordered_json> CreateBody(const ContainerOptions& options, const FlagSet& flags,
                                          const std::string& image,
                                          const std::vector<std::string>& command);

// RamInBytes parses docker's memory sizes: "512", "512b", "64k", "512m", "1g" (binary units).
Result<int64_t> RamInBytes(const std::string& size);
// ParseGoDuration parses Go durations ("30s", "1m30s", "500ms", "1h") into nanoseconds.
Result<int64_t> ParseGoDuration(const std::string& text);
// ParseEnvFile reads KEY=VALUE lines (comments and blank lines skipped; a bare KEY takes the
// environment's value when set).
Result<std::vector<std::string>> ParseEnvFile(const std::string& path);

}  // namespace berth::cli
