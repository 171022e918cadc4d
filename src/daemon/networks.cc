#include "daemon/networks.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "daemon/container/names.h"
#include "image/store/go_time.h"
#include "network/dns/responder.h"
#include "network/host_socket.h"
#include "network/netns.h"
#include "oci/json_codec.h"

namespace berth::daemon {

using oci::json_codec::Emit;
using oci::json_codec::Is;
using oci::json_codec::Json;

template <typename V, Is<IpamConfig> S>
static void Fields(V& v, S& s) {
  v("Subnet", s.subnet);
  v("IPRange", s.ip_range);
  v("Gateway", s.gateway);
}

template <typename V, Is<NetworkRecord> S>
static void Fields(V& v, S& s) {
  v("Name", s.name, Emit::kRequired);
  v("Id", s.id, Emit::kRequired);
  v("Created", s.created, Emit::kAlways);
  v("Driver", s.driver, Emit::kRequired);
  v("EnableIPv6", s.enable_ipv6, Emit::kAlways);
  v("IPAM", s.ipam, Emit::kAlways);
  v("Internal", s.internal, Emit::kAlways);
  v("Attachable", s.attachable, Emit::kAlways);
  v("Options", s.options, Emit::kAlways);
  v("Labels", s.labels, Emit::kAlways);
  v("Bridge", s.bridge);
}

// The create body keeps IPAM's configs under IPAM.Config.
struct IpamRequest {
  std::string driver;
  std::vector<IpamConfig> config;
};
template <typename V, Is<IpamRequest> S>
static void Fields(V& v, S& s) {
  v("Driver", s.driver);
  v("Config", s.config);
}

struct CreateBody {
  NetworkCreateRequest request;
  IpamRequest ipam;
};
template <typename V, Is<CreateBody> S>
static void Fields(V& v, S& s) {
  v("Name", s.request.name);
  v("Driver", s.request.driver);
  v("Internal", s.request.internal);
  v("Attachable", s.request.attachable);
  v("EnableIPv6", s.request.enable_ipv6);
  v("IPAM", s.ipam);
  v("Labels", s.request.labels);
  v("Options", s.request.options);
}

namespace {

constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";

std::string Now() { return FormatRfc3339Nano(std::chrono::system_clock::now()); }

bool BuiltIn(const NetworkRecord& r) {
  return r.name == "bridge" || r.name == "host" || r.name == "none";
}

// HoldHostPort reserves m's host port with a socket kept in sockets (none for sctp).
Status HoldHostPort(std::map<std::tuple<std::string, network::Ipv4, uint16_t>, UniqueFd>& sockets,
                    const network::PortMapping& m) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd socket,
                         network::ReserveHostPort(m.proto, m.host_ip, m.host_port));
  if (socket.valid()) sockets[{m.proto, m.host_ip, m.host_port}] = std::move(socket);
  return Ok();
}

Error NotFound(std::string_view ref) {
  return Error(ErrorKind::kNotFound, fmt::format("network {} not found", std::string(ref)));
}

}  // namespace

Result<NetworkCreateRequest> DecodeNetworkCreateRequest(const nlohmann::json& body) {
  CreateBody decoded;
  BERTH_TRY(oci::json_codec::Read(body, "", decoded));
  if (!decoded.ipam.driver.empty() && decoded.ipam.driver != "default") {
    return Fail(
        ErrorKind::kInvalidArgument,
        "IPAM.Driver: only the default IPAM driver is supported, not " + decoded.ipam.driver);
  }
  decoded.request.ipam = std::move(decoded.ipam.config);
  if (decoded.request.name.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "Name: a network needs a name");
  }
  return std::move(decoded.request);
}

nlohmann::ordered_json IpamConfigJson(const IpamConfig& config) {
  return oci::json_codec::ToJson(config);
}

Status Networks::Save(const NetworkRecord& record) {
  return WriteFileAtomic(dir_ + "/" + record.id + ".json",
                         oci::json_codec::Dump(oci::json_codec::ToJson(record), 1, '\t') + "\n",
                         0600);
}

Status Networks::AddNet(NetworkRecord record) {
  Net net{.record = std::move(record)};
  if (net.record.driver == "bridge") {
    if (net.record.ipam.empty()) {
      return Fail(ErrorKind::kDataLoss, "network " + net.record.name + " has no subnet");
    }
    const IpamConfig& c = net.record.ipam.front();
    BERTH_ASSIGN_OR_RETURN(network::Subnet subnet, network::ParseSubnet(c.subnet));
    BERTH_ASSIGN_OR_RETURN(network::Ipv4 gateway, network::ParseIpv4(c.gateway));
    std::optional<network::Subnet> range;
    if (!c.ip_range.empty()) {
      BERTH_ASSIGN_OR_RETURN(range, network::ParseSubnet(c.ip_range));
    }
    BERTH_ASSIGN_OR_RETURN(net.pool, network::AddressPool::Make(subnet, gateway, range));
  }
  const std::string id = net.record.id;
  nets_[id] = std::move(net);
  return Ok();
}

Status Networks::SetUpBridge(const Net& net) {
  BERTH_TRY(HostReady());
  const network::Subnet& subnet = net.pool->subnet();
  BERTH_TRY(netlink_->EnsureBridge(net.record.bridge, net.pool->gateway(), subnet.prefix));
  // Connections from the host's loopback to a published port are routed to the bridge.
  BERTH_TRY(network::SetSysctl("net.ipv4.conf." + net.record.bridge + ".route_localnet", "1"));
  return firewall_->Run(network::NetworkCommands(
      {.bridge = net.record.bridge, .subnet = subnet, .internal = net.record.internal}, true));
}

Status Networks::HostReady() const {
  if (host_error_) return Fail(*host_error_);
  return Ok();
}

void Networks::Emit(const NetworkRecord& record, std::string action, const std::string& container) {
  Event event{.type = "network",
              .action = std::move(action),
              .id = record.id,
              .attributes = {{"name", record.name}, {"type", record.driver}}};
  if (!container.empty()) event.attributes["container"] = container;
  events_.Publish(std::move(event));
}

Result<std::unique_ptr<Networks>> Networks::Open(const std::string& data_root, Events& events) {
  auto n = std::unique_ptr<Networks>(new Networks(data_root + "/networks", events));
  BERTH_TRY(MakeDirs(n->dir_, 0700));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(n->dir_.c_str()), closedir);
  if (!dir) return Fail(ErrnoNow("open " + n->dir_));
  std::set<std::string> names;
  while (dirent* entry = readdir(dir.get())) {
    const std::string file = entry->d_name;
    if (!file.ends_with(".json")) continue;
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(n->dir_ + "/" + file));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord record,
                           oci::json_codec::Decode<NetworkRecord>(text, n->dir_ + "/" + file));
    names.insert(record.name);
    BERTH_TRY(Annotate(n->AddNet(std::move(record)), n->dir_ + "/" + file));
  }
  const std::pair<const char*, const char*> builtin[] = {
      {"bridge", "bridge"}, {"host", "host"}, {"none", "null"}};
  for (const auto& [name, driver] : builtin) {
    if (names.contains(name)) continue;
    NetworkRecord r{.id = container::NewId(), .name = name, .driver = driver, .created = Now()};
    if (r.driver == "bridge") {
      r.ipam = {{.subnet = "172.17.0.0/16", .gateway = "172.17.0.1"}};
      r.bridge = kDefaultBridge;
      r.options = {{kBridgeNameOption, kDefaultBridge}};
    }
    BERTH_TRY(n->Save(r));
    BERTH_TRY(n->AddNet(std::move(r)));
  }
  Status host = [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(n->firewall_, network::Firewall::Open());
    BERTH_ASSIGN_OR_RETURN(network::Netlink netlink, network::Netlink::Open());
    n->netlink_.emplace(std::move(netlink));
    BERTH_TRY(n->firewall_->Run(network::TableCommands()));
    return network::SetSysctl("net.ipv4.ip_forward", "1");
  }();
  if (!host) {
    log::Warn("networks: cannot set up the host's network: {}", host.error().message());
    n->host_error_ = host.error().Wrap("set up the host's network");
    return n;
  }
  for (const auto& [id, net] : n->nets_) {
    if (!net.pool) continue;
    if (Status up = n->SetUpBridge(net); !up) {
      log::Warn("networks: bridge {} of {}: {}", net.record.bridge, net.record.name,
                up.error().message());
    }
  }
  return n;
}

Result<Networks::Net*> Networks::FindLocked(std::string_view ref) {
  if (ref.empty()) return Fail(NotFound(ref));
  if (auto it = nets_.find(std::string(ref)); it != nets_.end()) return &it->second;
  for (auto& [id, net] : nets_) {
    if (net.record.name == ref) return &net;
  }
  Net* found = nullptr;
  for (auto it = nets_.lower_bound(std::string(ref));
       it != nets_.end() && it->first.starts_with(ref); ++it) {
    if (found) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("network {} is ambiguous", std::string(ref)));
    }
    found = &it->second;
  }
  if (!found) return Fail(NotFound(ref));
  return found;
}

Result<NetworkRecord> Networks::Find(std::string_view ref) const {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * net, const_cast<Networks*>(this)->FindLocked(ref));
  return net->record;
}

std::vector<NetworkRecord> Networks::List() const {
  std::lock_guard lock(mu_);
  std::vector<NetworkRecord> out;
  for (const auto& [id, net] : nets_) out.push_back(net.record);
  return out;
}

std::vector<EndpointView> Networks::Endpoints(const std::string& network_id) const {
  std::lock_guard lock(mu_);
  std::vector<EndpointView> out;
  if (auto it = nets_.find(network_id); it != nets_.end()) {
    for (const auto& [id, endpoint] : it->second.endpoints) out.push_back(endpoint);
  }
  return out;
}

std::vector<network::dns::IpAddress> Networks::Resolve(const std::string& asker,
                                                       std::string_view name) const {
  std::lock_guard lock(mu_);
  std::vector<network::dns::IpAddress> out;
  for (const auto& [id, net] : nets_) {
    if (net.record.name == "bridge" || !net.endpoints.contains(asker)) continue;
    for (const auto& [container, e] : net.endpoints) {
      const bool named = network::dns::NameMatches(name, e.name) ||
                         std::any_of(e.aliases.begin(), e.aliases.end(), [&](const std::string& a) {
                           return network::dns::NameMatches(name, a);
                         });
      if (!named) continue;
      Result<network::dns::IpAddress> address =
          network::dns::IpAddress::Parse(e.ipv4_address.substr(0, e.ipv4_address.find('/')));
      if (address) out.push_back(*address);
    }
  }
  return out;
}

Result<NetworkRecord> Networks::Create(const NetworkCreateRequest& request) {
  BERTH_ASSIGN_OR_RETURN(std::string checked, container::CheckName(request.name));
  (void)checked;
  if (!request.driver.empty() && request.driver != "bridge") {
    return Fail(ErrorKind::kNotFound,
                fmt::format("plugin \"{}\" not found: only the bridge driver is supported",
                            request.driver));
  }
  if (request.enable_ipv6) {
    return Fail(ErrorKind::kNotImplemented, "EnableIPv6: IPv6 networks are not supported yet");
  }
  if (request.ipam.size() > 1) {
    return Fail(ErrorKind::kInvalidArgument, "IPAM.Config: only one IPv4 subnet is supported");
  }
  std::lock_guard lock(mu_);
  std::vector<network::Subnet> taken;
  for (const auto& [id, net] : nets_) {
    if (net.record.name == request.name) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("network with name {} already exists", request.name));
    }
    if (net.pool) taken.push_back(net.pool->subnet());
  }
  NetworkRecord r{.id = container::NewId(),
                  .name = request.name,
                  .driver = "bridge",
                  .created = Now(),
                  .internal = request.internal,
                  .attachable = request.attachable,
                  .enable_ipv6 = request.enable_ipv6,
                  .labels = request.labels,
                  .options = request.options};
  IpamConfig ipam = request.ipam.empty() ? IpamConfig{} : request.ipam.front();
  network::Subnet subnet;
  if (ipam.subnet.empty()) {
    BERTH_ASSIGN_OR_RETURN(subnet, network::DefaultSubnet(taken));
    ipam.subnet = subnet.String();
  } else {
    BERTH_ASSIGN_OR_RETURN(subnet, Annotate(network::ParseSubnet(ipam.subnet), "IPAM.Config"));
    for (const network::Subnet& t : taken) {
      if (t.Overlaps(subnet)) {
        return Fail(ErrorKind::kConflict,
                    fmt::format("Pool overlaps with other one on this address space"));
      }
    }
  }
  if (ipam.gateway.empty()) ipam.gateway = network::FormatIpv4(subnet.network + 1);
  r.ipam = {ipam};
  auto name = r.options.find(kBridgeNameOption);
  r.bridge = name != r.options.end() ? name->second : "br-" + r.id.substr(0, 12);
  if (r.bridge.empty() || r.bridge.size() > 15) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid bridge name \"{}\" (1 to 15 characters)", r.bridge));
  }
  for (const auto& [id, net] : nets_) {
    if (net.record.bridge == r.bridge) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("bridge name {} is used by network {}", r.bridge, net.record.name));
    }
  }
  BERTH_TRY(Annotate(AddNet(r), "IPAM.Config"));
  if (Status up = SetUpBridge(nets_.at(r.id)); !up) {
    nets_.erase(r.id);
    return Fail(std::move(up).error().Wrap("create network " + r.name));
  }
  BERTH_TRY(Save(r));
  Emit(r, "create", "");
  return r;
}

Status Networks::Remove(std::string_view ref) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * net, FindLocked(ref));
  const NetworkRecord r = net->record;
  if (BuiltIn(r)) {
    return Fail(ErrorKind::kPermissionDenied,
                fmt::format("{} is a pre-defined network and cannot be removed", r.name));
  }
  if (!net->endpoints.empty()) {
    return Fail(ErrorKind::kPermissionDenied,
                fmt::format("error while removing network: network {} id {} has active endpoints",
                            r.name, r.id));
  }
  if (unlink((dir_ + "/" + r.id + ".json").c_str()) < 0 && errno != ENOENT) {
    return Fail(ErrnoNow("remove network " + r.name));
  }
  if (HostReady()) {
    if (Status down = firewall_->Run(network::NetworkCommands(
            {.bridge = r.bridge, .subnet = net->pool->subnet(), .internal = r.internal}, false));
        !down) {
      log::Warn("networks: remove {}: {}", r.name, down.error().message());
    }
    if (Status gone = netlink_->DeleteLink(r.bridge); !gone) {
      log::Warn("networks: remove {}: {}", r.name, gone.error().message());
    }
  }
  nets_.erase(r.id);
  Emit(r, "destroy", "");
  return Ok();
}

Result<std::vector<std::string>> Networks::Prune(const image::store::Filters& filters) {
  // The filters are checked and the times parsed once, before any network is looked at.
  std::vector<std::chrono::system_clock::time_point> untils;
  for (const auto& [key, values] : filters) {
    if (key == "label" || key == "label!") continue;
    if (key != "until") return Fail(ErrorKind::kInvalidArgument, "invalid filter '" + key + "'");
    for (const std::string& value : values) {
      BERTH_ASSIGN_OR_RETURN(
          auto until, image::store::ParseFilterTime(value, std::chrono::system_clock::now()));
      untils.push_back(until);
    }
  }
  std::vector<std::string> candidates;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, net] : nets_) {
      if (BuiltIn(net.record) || !net.endpoints.empty()) continue;
      if (!image::store::MatchPruneLabels(filters, net.record.labels)) continue;
      const auto created = image::store::ParseRfc3339(net.record.created);
      if (std::any_of(untils.begin(), untils.end(),
                      [&](const auto& until) { return !created || *created >= until; })) {
        continue;
      }
      candidates.push_back(id);
    }
  }
  std::vector<std::string> removed;
  for (const std::string& id : candidates) {
    Result<NetworkRecord> r = Find(id);
    if (r && Remove(id)) removed.push_back(r->name);
  }
  return removed;
}

Status Networks::Connect(const NetworkRecord& network, const EndpointOwner& owner,
                         container::Endpoint& endpoint) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * net, FindLocked(network.id));
  if (!net->pool) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("container cannot be connected to network {} (driver {})",
                            net->record.name, net->record.driver));
  }
  if (net->endpoints.contains(owner.container_id)) {
    return Fail(ErrorKind::kPermissionDenied,
                fmt::format("endpoint with name {} already exists in network {}", owner.name,
                            net->record.name));
  }
  BERTH_TRY(HostReady());
  std::optional<network::Ipv4> want;
  if (!endpoint.config.ipv4_address.empty()) {
    if (net->record.name == "bridge") {
      return Fail(ErrorKind::kInvalidArgument,
                  "user specified IP address is supported on user defined networks only");
    }
    BERTH_ASSIGN_OR_RETURN(want, network::ParseIpv4(endpoint.config.ipv4_address));
  }
  BERTH_ASSIGN_OR_RETURN(network::Ipv4 address, net->pool->Allocate(want));
  const std::string endpoint_id = container::NewId();
  Status plugged = [&]() -> Status {
    UniqueFd ns(open(owner.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return Fail(ErrnoNow("open network namespace " + owner.netns_path));
    BERTH_TRY(netlink_->AddVeth({.host_name = HostVeth(endpoint_id),
                                 .bridge = net->record.bridge,
                                 .netns_fd = ns.get(),
                                 .peer_name = owner.ifname,
                                 .peer_mac = network::MacOf(address)}));
    // A container reaches its own published ports through the gateway (hairpin): its frames
    // leave the bridge by the port they came in by.
    BERTH_TRY(WriteFile("/sys/class/net/" + HostVeth(endpoint_id) + "/brport/hairpin_mode", "1"));
    return network::ConfigureEndpoint(owner.netns_path, owner.ifname, address,
                                      net->pool->subnet().prefix, net->pool->gateway());
  }();
  if (!plugged) {
    net->pool->Release(address);
    (void)netlink_->DeleteLink(HostVeth(endpoint_id));
    return Fail(std::move(plugged).error().Wrap("connect to network " + net->record.name));
  }
  endpoint.network_id = net->record.id;
  endpoint.endpoint_id = endpoint_id;
  endpoint.ip_address = network::FormatIpv4(address);
  endpoint.ip_prefix_len = net->pool->subnet().prefix;
  endpoint.gateway = network::FormatIpv4(net->pool->gateway());
  endpoint.mac_address = network::MacOf(address);
  RecordEndpoint(*net, owner, endpoint);
  Emit(net->record, "connect", owner.container_id);
  return Ok();
}

void Networks::RecordEndpoint(Net& net, const EndpointOwner& owner,
                              const container::Endpoint& endpoint) {
  if (Result<network::Ipv4> address = network::ParseIpv4(endpoint.ip_address); address) {
    net.pool->Reserve(*address);
  }
  net.endpoints[owner.container_id] = {
      .container_id = owner.container_id,
      .name = owner.name,
      .aliases = endpoint.config.aliases,
      .endpoint_id = endpoint.endpoint_id,
      .mac_address = endpoint.mac_address,
      .ipv4_address = fmt::format("{}/{}", endpoint.ip_address, endpoint.ip_prefix_len)};
}

void Networks::Restore(const EndpointOwner& owner, const container::Endpoint& endpoint,
                       const std::vector<container::PublishedPort>& ports) {
  std::lock_guard lock(mu_);
  auto it = nets_.find(endpoint.network_id);
  if (it == nets_.end() || !it->second.pool) return;
  RecordEndpoint(it->second, owner, endpoint);
  Result<network::Ipv4> address = network::ParseIpv4(endpoint.ip_address);
  if (!address || ports.empty()) return;
  std::string commands;
  for (const container::PublishedPort& p : ports) {
    const network::PortMapping m = MappingOf(p);
    ports_.Reserve(m.proto, m.host_ip, m.host_port);
    if (Status held = HoldHostPort(host_sockets_, m); !held) {
      log::Warn("networks: ports of {}: {}", owner.name, held.error().message());
    }
    commands += network::PortCommands(m, *address, true);
  }
  if (Status published = HostReady() ? firewall_->Run(commands) : HostReady(); !published) {
    log::Warn("networks: ports of {}: {}", owner.name, published.error().message());
  }
}

void Networks::Disconnect(const std::string& container_id, container::Endpoint& endpoint,
                          bool live) {
  std::lock_guard lock(mu_);
  if (auto it = nets_.find(endpoint.network_id); it != nets_.end()) {
    if (it->second.endpoints.erase(container_id) > 0) {
      Emit(it->second.record, "disconnect", container_id);
    }
    Result<network::Ipv4> address = network::ParseIpv4(endpoint.ip_address);
    if (address && it->second.pool) it->second.pool->Release(*address);
  }
  if (live && !endpoint.endpoint_id.empty() && HostReady()) {
    if (Status gone = netlink_->DeleteLink(HostVeth(endpoint.endpoint_id)); !gone) {
      log::Warn("networks: {}", gone.error().message());
    }
  }
  endpoint = container::Endpoint{.network_id = endpoint.network_id, .config = endpoint.config};
}

network::PortMapping Networks::MappingOf(const container::PublishedPort& p) {
  return {.proto = p.proto,
          .host_ip = network::ParseIpv4(p.host_ip).value_or(0),
          .host_port = static_cast<uint16_t>(p.host_port),
          .container_port = static_cast<uint16_t>(p.container_port)};
}

Result<uint16_t> Networks::BindPort(const network::PortMapping& mapping,
                                    network::HostPortRange range) {
  // Ports a host process holds stay taken in ports_ while the next ones are tried.
  std::vector<uint16_t> held;
  ScopeExit release_held([&] {
    for (uint16_t port : held) ports_.Release(mapping.proto, mapping.host_ip, port);
  });
  const bool single = range.first != 0 && range.first == range.last;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(uint16_t port, ports_.Bind(mapping.proto, mapping.host_ip, range));
    network::PortMapping bound = mapping;
    bound.host_port = port;
    Status reserved = HoldHostPort(host_sockets_, bound);
    if (reserved) return port;
    held.push_back(port);
    if (single || reserved.error().kind() != ErrorKind::kConflict) {
      return Fail(std::move(reserved).error());
    }
  }
}

void Networks::ReleasePort(const network::PortMapping& m) {
  ports_.Release(m.proto, m.host_ip, m.host_port);
  host_sockets_.erase({m.proto, m.host_ip, m.host_port});
}

Result<std::vector<container::PublishedPort>> Networks::Publish(
    const std::string& container_name, const container::Endpoint& endpoint,
    const container::HostConfig& host, const std::set<std::string>& exposed_ports) {
  std::map<std::string, std::vector<container::PortBinding>> wanted = host.port_bindings;
  if (host.publish_all_ports) {
    for (const std::string& key : exposed_ports) wanted.try_emplace(key, 1);
  }
  if (wanted.empty()) return std::vector<container::PublishedPort>{};
  std::lock_guard lock(mu_);
  BERTH_TRY(HostReady());
  BERTH_ASSIGN_OR_RETURN(network::Ipv4 address, network::ParseIpv4(endpoint.ip_address));
  std::vector<container::PublishedPort> out;
  auto release = [&] {
    for (const container::PublishedPort& p : out) ReleasePort(MappingOf(p));
  };
  std::string commands;
  for (const auto& [key_text, bindings] : wanted) {
    Result<network::PortKey> key = network::ParsePortKey(key_text);
    if (!key) {
      release();
      return Fail(std::move(key).error().Wrap("HostConfig.PortBindings"));
    }
    for (const container::PortBinding& binding : bindings) {
      Result<network::PortMapping> mapping = [&]() -> Result<network::PortMapping> {
        network::PortMapping m{.proto = key->proto, .container_port = key->port};
        if (!binding.host_ip.empty() && binding.host_ip != "0.0.0.0") {
          BERTH_ASSIGN_OR_RETURN(m.host_ip, network::ParseIpv4(binding.host_ip));
        }
        BERTH_ASSIGN_OR_RETURN(network::HostPortRange range,
                               network::ParseHostPort(binding.host_port));
        Result<uint16_t> port = BindPort(m, range);
        if (!port && port.error().message().starts_with("Error starting userland proxy")) {
          return Fail(std::move(port).error().Wrap(
              fmt::format("driver failed programming external connectivity on endpoint {} ({})",
                          container_name, endpoint.endpoint_id)));
        }
        BERTH_ASSIGN_OR_RETURN(m.host_port, std::move(port));
        return m;
      }();
      if (!mapping) {
        release();
        return Fail(std::move(mapping).error());
      }
      out.push_back({.proto = mapping->proto,
                     .host_ip = network::FormatIpv4(mapping->host_ip),
                     .host_port = mapping->host_port,
                     .container_port = mapping->container_port});
      commands += network::PortCommands(*mapping, address, true);
    }
  }
  if (Status published = firewall_->Run(commands); !published) {
    release();
    return Fail(std::move(published).error());
  }
  return out;
}

void Networks::Unpublish(const std::vector<container::PublishedPort>& ports) {
  if (ports.empty()) return;
  std::lock_guard lock(mu_);
  std::string commands;
  for (const container::PublishedPort& p : ports) {
    const network::PortMapping m = MappingOf(p);
    ReleasePort(m);
    commands += network::PortCommands(m, 0, false);
  }
  if (HostReady()) {
    if (Status removed = firewall_->Run(commands); !removed) {
      log::Warn("networks: unpublish: {}", removed.error().message());
    }
  }
}

}  // namespace berth::daemon
