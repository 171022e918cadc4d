// A container as the daemon keeps it: what it was created with, its state and its counters, one
// JSON file per container (containers/<id>/container.json under the data root) replaced
// atomically on every change, so a crash leaves the last state written. Pure codec plus the two
// file operations; thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/container/config.h"
#include "daemon/container/health.h"
#include "daemon/container/mounts.h"

namespace berth::daemon::container {

// docker's State.Status values.
enum class ContainerStatus { kCreated, kRunning, kPaused, kRestarting, kRemoving, kExited, kDead };
std::string_view StatusName(ContainerStatus status);  // "created", "running", ...
Result<ContainerStatus> ParseStatus(std::string_view name);

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";  // Go's zero time, as docker shows it

struct State {
  ContainerStatus status = ContainerStatus::kCreated;
  bool oom_killed = false;
  int pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at = kZeroTime;
  std::string finished_at = kZeroTime;
  // Stopped by a user (stop, kill): restart policies leave it stopped, and "unless-stopped"
  // does not start it when the daemon starts.
  bool manually_stopped = false;
  std::optional<Health> health;  // while the container has a health check
};

// One network the container is connected to: what it asked for, and while it runs the address it
// was given there.
struct Endpoint {
  std::string network_id;
  EndpointConfig config;    // the static address and the aliases asked for
  std::string endpoint_id;  // while running: 64 hex digits
  std::string ip_address;
  int ip_prefix_len = 0;
  std::string gateway;
  std::string mac_address;
};

// A port published while the container runs.
struct PublishedPort {
  std::string proto;    // tcp, udp, sctp
  std::string host_ip;  // "0.0.0.0" for every address
  int host_port = 0;
  int container_port = 0;
};

struct Record {
  std::string id;    // 64 hex digits
  std::string name;  // with docker's leading "/"
  std::string created;
  std::string image_id;           // "sha256:..."
  std::vector<std::string> args;  // the process's argv (Path is args[0])
  Config config;
  HostConfig host_config;
  State state;
  int restart_count = 0;
  std::string log_path;                      // the json-file log; "" with the "none" driver
  std::map<std::string, Endpoint> networks;  // by network name
  std::vector<PublishedPort> ports;          // while running
  std::string sandbox_key;  // while running: the network namespace file, when berthd made one
  std::vector<MountPoint> mount_points;  // planned at create, volumes named (mounts.h)
};

// HealthJson is State.Health as the record and inspect show it (Status, FailingStreak, Log).
nlohmann::ordered_json HealthJson(const Health& health);

std::string EncodeRecord(const Record& record);
[[nodiscard]] Result<Record> DecodeRecord(std::string_view text);

// SaveRecord writes dir/container.json atomically; LoadRecord reads it.
Status SaveRecord(const std::string& dir, const Record& record);
Result<Record> LoadRecord(const std::string& dir);

}  // namespace berth::daemon::container
