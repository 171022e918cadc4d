#include "api/server/container_json.h"

#include <fmt/format.h>

#include <cstdlib>
#include <set>

#include "image/store/go_time.h"
#include "image/store/image_views.h"

namespace berth::api::server {

using daemon::container::ContainerStatus;
using nlohmann::ordered_json;

namespace {

std::optional<std::chrono::system_clock::time_point> TimeOf(const std::string& text) {
  return image::store::ParseRfc3339(text);
}

std::string Since(const std::string& time, std::chrono::system_clock::time_point now) {
  auto t = TimeOf(time);
  if (!t) return "";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

ordered_json MountsJson(const daemon::container::Record& r) {
  ordered_json mounts = ordered_json::array();
  for (const auto& point : r.mount_points) {
    mounts.push_back(daemon::container::MountPointJson(point));
  }
  return mounts;
}

// EndpointJson is one network of NetworkSettings.Networks (docker's EndpointSettings).
ordered_json EndpointJson(const daemon::container::Endpoint& e) {
  ordered_json ipam = nullptr;
  if (!e.config.ipv4_address.empty()) ipam = {{"IPv4Address", e.config.ipv4_address}};
  return {{"IPAMConfig", ipam},
          {"Links", nullptr},
          {"Aliases",
           e.config.aliases.empty() ? ordered_json(nullptr) : ordered_json(e.config.aliases)},
          {"NetworkID", e.network_id},
          {"EndpointID", e.endpoint_id},
          {"Gateway", e.gateway},
          {"IPAddress", e.ip_address},
          {"IPPrefixLen", e.ip_prefix_len},
          {"IPv6Gateway", ""},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"MacAddress", e.mac_address},
          {"DriverOpts", nullptr}};
}

// PortsJson is NetworkSettings.Ports: every exposed port, with its host bindings while the
// container runs (null when it has none).
ordered_json PortsJson(const daemon::container::Record& r) {
  ordered_json ports = ordered_json::object();
  const bool running = !r.sandbox_key.empty();
  if (!running) return ports;
  for (const std::string& key : r.config.image.exposed_ports) ports[key] = nullptr;
  for (const daemon::container::PublishedPort& p : r.ports) {
    const std::string key = fmt::format("{}/{}", p.container_port, p.proto);
    if (!ports[key].is_array()) ports[key] = ordered_json::array();
    ports[key].push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
  }
  return ports;
}

}  // namespace

ordered_json NetworksJson(const daemon::container::Record& r) {
  ordered_json networks = ordered_json::object();
  for (const auto& [name, endpoint] : r.networks) networks[name] = EndpointJson(endpoint);
  return networks;
}

ordered_json NetworkSettingsJson(const daemon::container::Record& r) {
  // The top-level fields describe the endpoint on the default bridge, as docker's do.
  const daemon::container::Endpoint none;
  auto bridge = r.networks.find("bridge");
  const daemon::container::Endpoint& e = bridge != r.networks.end() ? bridge->second : none;
  return {{"Bridge", ""},
          {"SandboxID", r.sandbox_key.empty() ? "" : r.id},
          {"SandboxKey", r.sandbox_key},
          {"Ports", PortsJson(r)},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", e.endpoint_id},
          {"Gateway", e.gateway},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", e.ip_address},
          {"IPPrefixLen", e.ip_prefix_len},
          {"IPv6Gateway", ""},
          {"MacAddress", e.mac_address},
          {"Networks", NetworksJson(r)}};
}

ordered_json PortsSummaryJson(const daemon::container::Record& r) {
  ordered_json out = ordered_json::array();
  std::set<std::string> published;
  for (const daemon::container::PublishedPort& p : r.ports) {
    out.push_back({{"IP", p.host_ip},
                   {"PrivatePort", p.container_port},
                   {"PublicPort", p.host_port},
                   {"Type", p.proto}});
    published.insert(fmt::format("{}/{}", p.container_port, p.proto));
  }
  for (const std::string& key : r.config.image.exposed_ports) {
    if (published.contains(key)) continue;
    const size_t slash = key.find('/');
    out.push_back({{"PrivatePort", std::atoi(key.substr(0, slash).c_str())},
                   {"Type", slash == std::string::npos ? "tcp" : key.substr(slash + 1)}});
  }
  return out;
}

std::string HumanDuration(std::chrono::seconds duration) {
  const int64_t seconds = duration.count();
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  const int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  const int64_t hours = seconds / 3600;
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", hours / 24 / 365);
}

std::string StatusText(const daemon::container::State& s,
                       std::chrono::system_clock::time_point now) {
  switch (s.status) {
    case ContainerStatus::kRunning:
      if (s.health) {
        // docker: "(health: starting)", "(healthy)", "(unhealthy)".
        const std::string_view health = daemon::container::HealthStatusName(s.health->status);
        return fmt::format(
            "Up {} ({}{})", Since(s.started_at, now),
            s.health->status == daemon::container::HealthStatus::kStarting ? "health: " : "",
            health);
      }
      return "Up " + Since(s.started_at, now);
    case ContainerStatus::kPaused:
      return "Up " + Since(s.started_at, now) + " (Paused)";
    case ContainerStatus::kRestarting:
      return fmt::format("Restarting ({}) {} ago", s.exit_code, Since(s.finished_at, now));
    case ContainerStatus::kExited:
      if (s.finished_at == daemon::container::kZeroTime) return "Created";
      return fmt::format("Exited ({}) {} ago", s.exit_code, Since(s.finished_at, now));
    case ContainerStatus::kCreated:
      return "Created";
    case ContainerStatus::kRemoving:
      return "Removal In Progress";
    case ContainerStatus::kDead:
      return "Dead";
  }
  return "";
}

ordered_json InspectJson(const daemon::ContainerView& view) {
  const daemon::container::Record& r = view.record;
  const daemon::container::State& s = r.state;
  ordered_json state = {
      {"Status", std::string(daemon::container::StatusName(s.status))},
      {"Running", s.status == ContainerStatus::kRunning || s.status == ContainerStatus::kPaused},
      {"Paused", s.status == ContainerStatus::kPaused},
      {"Restarting", s.status == ContainerStatus::kRestarting},
      {"OOMKilled", s.oom_killed},
      {"Dead", s.status == ContainerStatus::kDead},
      {"Pid", s.pid},
      {"ExitCode", s.exit_code},
      {"Error", s.error},
      {"StartedAt", s.started_at},
      {"FinishedAt", s.finished_at},
  };
  if (s.health) state["Health"] = daemon::container::HealthJson(*s.health);
  ordered_json out;
  out["Id"] = r.id;
  out["Created"] = r.created;
  out["Path"] = r.args.empty() ? "" : r.args.front();
  out["Args"] = r.args.size() > 1 ? std::vector<std::string>(r.args.begin() + 1, r.args.end())
                                  : std::vector<std::string>{};
  out["State"] = state;
  out["Image"] = r.image_id;
  out["ResolvConfPath"] = view.data_dir + "/resolv.conf";
  out["HostnamePath"] = view.data_dir + "/hostname";
  out["HostsPath"] = view.data_dir + "/hosts";
  out["LogPath"] = r.log_path;
  out["Name"] = r.name;
  out["RestartCount"] = r.restart_count;
  out["Driver"] = view.graph_driver.name;
  out["Platform"] = "linux";
  out["MountLabel"] = "";
  out["ProcessLabel"] = "";
  out["AppArmorProfile"] = "";
  out["ExecIDs"] = nullptr;
  out["HostConfig"] = daemon::container::HostConfigJson(r.host_config);
  out["GraphDriver"] = image::store::GraphDriverJson(view.graph_driver);
  if (view.size_rw >= 0) out["SizeRw"] = view.size_rw;
  if (view.size_root >= 0) out["SizeRootFs"] = view.size_root;
  out["Mounts"] = MountsJson(r);
  out["Config"] = daemon::container::ConfigJson(r.config);
  out["NetworkSettings"] = NetworkSettingsJson(r);
  return out;
}

ordered_json SummaryJson(const daemon::ContainerView& view,
                         std::chrono::system_clock::time_point now) {
  const daemon::container::Record& r = view.record;
  std::string command;
  for (const std::string& arg : r.args) command += (command.empty() ? "" : " ") + arg;
  int64_t created = 0;
  if (auto t = TimeOf(r.created)) {
    created = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
  }
  ordered_json out;
  out["Id"] = r.id;
  out["Names"] = {r.name};
  out["Image"] = r.config.image_name;
  out["ImageID"] = r.image_id;
  out["Command"] = command;
  out["Created"] = created;
  out["Ports"] = PortsSummaryJson(r);
  if (view.size_rw >= 0) out["SizeRw"] = view.size_rw;
  if (view.size_root >= 0) out["SizeRootFs"] = view.size_root;
  out["Labels"] = r.config.image.labels;
  out["State"] = std::string(daemon::container::StatusName(r.state.status));
  out["Status"] = StatusText(r.state, now);
  out["HostConfig"] = {
      {"NetworkMode", r.host_config.network_mode.empty() ? "default" : r.host_config.network_mode}};
  out["NetworkSettings"] = {{"Networks", NetworksJson(r)}};
  out["Mounts"] = MountsJson(r);
  return out;
}

}  // namespace berth::api::server
