// The containers' networks: the network mode and endpoints planned at create, the network
// namespace and endpoints made at each start and taken back at each exit, docker network
// connect and disconnect, and the container's /etc/hosts.
#include <dirent.h>
#include <fcntl.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/file.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "daemon/containers_internal.h"
#include "network/link.h"
#include "network/netns.h"

namespace berth::daemon {

using container::Endpoint;
using container::Record;

namespace {

constexpr std::string_view kContainerMode = "container:";

// ModeNetwork is the network a network mode names: the default bridge for "", "default" and
// "bridge"; "" for host, none and container:<id>.
std::string ModeNetwork(const std::string& mode) {
  if (mode.empty() || mode == "default" || mode == "bridge") return "bridge";
  if (mode == "host" || mode == "none" || mode.starts_with(kContainerMode)) return "";
  return mode;
}

}  // namespace

bool OnUserDefinedNetwork(const Record& r) {
  return std::any_of(r.networks.begin(), r.networks.end(),
                     [](const auto& entry) { return entry.first != "bridge"; });
}

Result<std::map<std::string, Endpoint>> Containers::Impl::PlanNetworks(
    const container::CreateRequest& request) {
  const container::HostConfig& host = request.host_config;
  const std::string& mode = host.network_mode;
  std::map<std::string, Endpoint> endpoints;
  if (mode.starts_with(kContainerMode)) {
    BERTH_TRY(Find(mode.substr(kContainerMode.size())));
    if (!host.port_bindings.empty() || host.publish_all_ports) {
      return Fail(ErrorKind::kInvalidArgument,
                  "conflicting options: port publishing and the container type network mode");
    }
    return endpoints;
  }
  const std::string primary = ModeNetwork(mode);
  if (primary.empty()) return endpoints;
  std::map<std::string, container::EndpointConfig> wanted = request.endpoints;
  // docker's CLI (since API 1.44) names the endpoint of the default network mode "default".
  if (auto named_default = wanted.extract("default")) {
    named_default.key() = "bridge";
    wanted.insert(std::move(named_default));
  }
  wanted.try_emplace(primary);
  for (const auto& [ref, config] : wanted) {
    BERTH_ASSIGN_OR_RETURN(NetworkRecord net, networks.Find(ref));
    if (net.driver != "bridge") {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("container cannot be connected to network {} with NetworkMode {}",
                              net.name, mode.empty() ? "default" : mode));
    }
    if (!config.ipv4_address.empty()) {
      if (net.name == "bridge") {
        return Fail(ErrorKind::kInvalidArgument,
                    "user specified IP address is supported on user defined networks only");
      }
      BERTH_TRY(Annotate(network::ParseIpv4(config.ipv4_address),
                         "NetworkingConfig.EndpointsConfig." + ref + ".IPAMConfig"));
    }
    Endpoint& endpoint = endpoints[net.name];
    endpoint.network_id = net.id;
    endpoint.config.ipv4_address = config.ipv4_address;
    for (const std::string& alias : config.aliases) endpoint.config.aliases.push_back(alias);
  }
  return endpoints;
}

Status Containers::Impl::WriteHosts(const Record& r) {
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  for (const std::string& entry : r.host_config.extra_hosts) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos) continue;
    hosts += entry.substr(colon + 1) + "\t" + entry.substr(0, colon) + "\n";
  }
  for (const auto& [name, endpoint] : r.networks) {
    if (!endpoint.ip_address.empty()) {
      hosts += endpoint.ip_address + "\t" + r.config.hostname + "\n";
    }
  }
  return WriteFile(DataDir(r.id) + "/hosts", hosts);
}

Result<std::string> Containers::Impl::SetUpNetwork(const std::shared_ptr<Container>& c) {
  Record r;
  {
    std::lock_guard lock(c->mu);
    r = c->record;
  }
  const auto began = std::chrono::steady_clock::now();
  const std::string& mode = r.host_config.network_mode;
  if (mode == "host") return std::string();
  if (mode.starts_with(kContainerMode)) {
    BERTH_ASSIGN_OR_RETURN(auto other, Find(mode.substr(kContainerMode.size())));
    std::lock_guard lock(other->mu);
    if (!other->Running()) {
      return Fail(
          ErrorKind::kConflict,
          fmt::format("cannot join network of a non running container: {}", other->record.id));
    }
    return fmt::format("/proc/{}/ns/net", other->record.state.pid);
  }
  // The time of each step, for the debug log (bench/network.sh reads it).
  auto mark = std::chrono::steady_clock::now();
  std::string steps;
  auto step = [&](std::string_view name) {
    const auto now = std::chrono::steady_clock::now();
    steps += fmt::format(" {} {}", name,
                         std::chrono::duration_cast<std::chrono::microseconds>(now - mark).count());
    mark = now;
  };
  const std::string path = NetnsDir() + "/" + r.id;
  (void)network::RemoveNetns(path);  // what a crash left
  BERTH_TRY(network::CreateNetns(path));
  step("netns");
  r.sandbox_key = path;
  Status connected = [&]() -> Status {
    if (mode == "none") return network::SetUpLoopback(path);
    // The mode's network gets eth0 and the published ports; the others follow by name.
    Result<NetworkRecord> primary = networks.Find(ModeNetwork(mode));
    std::vector<std::string> order;
    for (const auto& [name, endpoint] : r.networks) {
      const bool first = primary && endpoint.network_id == primary->id;
      order.insert(first ? order.begin() : order.end(), name);
    }
    for (size_t i = 0; i < order.size(); ++i) {
      Endpoint& endpoint = r.networks[order[i]];
      BERTH_ASSIGN_OR_RETURN(NetworkRecord net, networks.Find(endpoint.network_id));
      BERTH_TRY(networks.Connect(net,
                                 {.container_id = r.id,
                                  .name = r.name.substr(1),
                                  .netns_path = path,
                                  .ifname = fmt::format("eth{}", i)},
                                 endpoint));
    }
    step("endpoints");
    if (!order.empty()) {
      BERTH_ASSIGN_OR_RETURN(
          r.ports, networks.Publish(r.name.substr(1), r.networks[order.front()], r.host_config,
                                    r.config.image.exposed_ports));
    }
    step("ports");
    BERTH_TRY(WriteHosts(r));
    step("hosts");
    BERTH_TRY(ServeDns(r));
    step("dns");
    return Ok();
  }();
  if (!connected) {
    TearDownNetwork(r);
    return Fail(std::move(connected).error());
  }
  log::Debug("container {}: network set up in {} us:{}", r.id,
             std::chrono::duration_cast<std::chrono::microseconds>(mark - began).count(), steps);
  std::lock_guard lock(c->mu);
  c->record.networks = r.networks;
  c->record.ports = r.ports;
  c->record.sandbox_key = path;
  return path;
}

void Containers::Impl::TearDownNetwork(Record& r) {
  StopDns(r.id);
  networks.Unpublish(r.ports);
  for (auto& [name, endpoint] : r.networks) {
    if (!endpoint.endpoint_id.empty()) networks.Disconnect(r.id, endpoint, false);
  }
  r.ports.clear();
  if (!r.sandbox_key.empty()) {
    // The veths go with the namespace: the kernel deletes them once nothing holds it.
    if (Status removed = network::RemoveNetns(r.sandbox_key); !removed) {
      log::Warn("container {}: {}", r.id, removed.error().message());
    }
    r.sandbox_key.clear();
  }
}

void Containers::Impl::RestoreNetwork(const Record& r) {
  bool first = true;
  for (const auto& [name, endpoint] : r.networks) {
    if (endpoint.endpoint_id.empty()) continue;
    networks.Restore({.container_id = r.id, .name = r.name.substr(1)}, endpoint,
                     first ? r.ports : std::vector<container::PublishedPort>{});
    first = false;
  }
  // The sockets of the daemon before went with it; the namespace stays.
  if (Status served = ServeDns(r); !served) {
    log::Warn("container {}: {}", r.id, served.error().message());
  }
}

Status Containers::Impl::ServeDns(const Record& r) {
  if (!dns || r.sandbox_key.empty() || !OnUserDefinedNetwork(r)) return Ok();
  UniqueFd netns(open(r.sandbox_key.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return Fail(ErrnoNow("embedded DNS: open " + r.sandbox_key));
  const std::string id = r.id;
  network::dns::Lookup lookup{
      .addresses = [this, id](std::string_view name) { return networks.Resolve(id, name); }};
  BERTH_ASSIGN_OR_RETURN(
      network::dns::Registration registration,
      Annotate(dns->Serve(netns.get(), std::move(lookup), dns_search), "embedded DNS"));
  std::lock_guard lock(dns_mu);
  dns_served[id] = registration;
  return Ok();
}

void Containers::Impl::StopDns(const std::string& id) {
  std::optional<network::dns::Registration> registration;
  {
    std::lock_guard lock(dns_mu);
    auto it = dns_served.find(id);
    if (it == dns_served.end()) return;
    registration = it->second;
    dns_served.erase(it);
  }
  dns->Stop(*registration);
}

void Containers::Impl::RemoveStaleNetns() {
  std::set<std::string> live;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, c] : by_id) {
      std::lock_guard clock(c->mu);
      if (c->Running() && !c->record.sandbox_key.empty()) live.insert(c->record.sandbox_key);
    }
  }
  const std::string dir = NetnsDir();
  std::unique_ptr<DIR, int (*)(DIR*)> entries(opendir(dir.c_str()), closedir);
  if (!entries) return;
  while (dirent* entry = readdir(entries.get())) {
    const std::string path = dir + "/" + entry->d_name;
    if (entry->d_name[0] == '.' || live.contains(path)) continue;
    if (Status removed = network::RemoveNetns(path); !removed) {
      log::Warn("containers: {}", removed.error().message());
    }
  }
}

Status Containers::ConnectNetwork(std::string_view ref, std::string_view network,
                                  const container::EndpointConfig& config) {
  Impl& d = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto c, d.Find(ref));
  BERTH_ASSIGN_OR_RETURN(NetworkRecord net, d.networks.Find(network));
  std::lock_guard op(c->op_mu);
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  if (ModeNetwork(r.host_config.network_mode).empty() || net.driver != "bridge") {
    return Fail(ErrorKind::kPermissionDenied,
                "container sharing network namespace with another container or host cannot be "
                "connected to any other network");
  }
  if (r.networks.contains(net.name)) {
    return Fail(ErrorKind::kPermissionDenied,
                fmt::format("endpoint with name {} already exists in network {}", r.name.substr(1),
                            net.name));
  }
  if (!config.ipv4_address.empty() && net.name == "bridge") {
    return Fail(ErrorKind::kInvalidArgument,
                "user specified IP address is supported on user defined networks only");
  }
  Endpoint endpoint{.network_id = net.id, .config = config};
  if (c->Running() && !r.sandbox_key.empty()) {
    BERTH_TRY(d.networks.Connect(net,
                                 {.container_id = r.id,
                                  .name = r.name.substr(1),
                                  .netns_path = r.sandbox_key,
                                  .ifname = fmt::format("eth{}", r.networks.size())},
                                 endpoint));
  }
  r.networks[net.name] = endpoint;
  BERTH_TRY(d.WriteHosts(r));
  return container::SaveRecord(d.DataDir(r.id), r);
}

Status Containers::DisconnectNetwork(std::string_view ref, std::string_view network) {
  Impl& d = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto c, d.Find(ref));
  BERTH_ASSIGN_OR_RETURN(NetworkRecord net, d.networks.Find(network));
  std::lock_guard op(c->op_mu);
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  auto it = r.networks.find(net.name);
  if (it == r.networks.end()) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("container {} is not connected to network {}", r.id, net.name));
  }
  if (!it->second.endpoint_id.empty()) {
    bool primary = r.networks.size() == 1 || ModeNetwork(r.host_config.network_mode) == net.name;
    if (primary) {
      d.networks.Unpublish(r.ports);
      r.ports.clear();
    }
    d.networks.Disconnect(r.id, it->second, c->Running());
  }
  r.networks.erase(it);
  BERTH_TRY(d.WriteHosts(r));
  return container::SaveRecord(d.DataDir(r.id), r);
}

}  // namespace berth::daemon
