// Networks: the daemon's network service behind the Engine API's /networks endpoints and the
// containers' network modes. It keeps the networks (the built-in bridge, host and none, and
// user-defined bridge networks), their bridges, the addresses and host ports handed to the
// containers' endpoints, and berth's nftables table (network/firewall.h).
//
// On disk: <data root>/networks/<id>.json, one file per network, replaced atomically. The
// allocation of addresses and ports is not stored: the containers' records hold their endpoints
// and ports, and the containers that still run give them back at start (Restore), as docker
// rebuilds its allocation from its containers. At Open berth's nftables table is made anew and
// the bridges brought up; the published ports of running containers come back with Restore.
//
// Events: docker's network events (Type "network", Actor.ID the network's id, attributes name
// and type, and container for connect and disconnect): create, destroy (docker network rm and
// prune), connect (at each start of a container and docker network connect) and disconnect.
//
// Thread-safety: every method may run on several threads at once (one lock).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "daemon/container/config.h"
#include "daemon/container/record.h"
#include "daemon/events.h"
#include "image/store/image_views.h"
#include "network/dns/address.h"
#include "network/firewall.h"
#include "network/ipam.h"
#include "network/link.h"
#include "network/ports.h"

namespace berth::daemon {

struct IpamConfig {
  std::string subnet;  // CIDR
  std::string gateway;
  std::string ip_range;
};

// A network as it is kept and shown.
struct NetworkRecord {
  std::string id;
  std::string name;
  std::string driver;  // bridge, host, null
  std::string created;
  std::vector<IpamConfig> ipam;  // one IPv4 entry for bridge networks
  bool internal = false;
  bool attachable = false;
  bool enable_ipv6 = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  std::string bridge;  // the bridge interface
};

// The body of POST /networks/create.
struct NetworkCreateRequest {
  std::string name;
  std::string driver;  // "" is bridge
  bool internal = false;
  bool attachable = false;
  bool enable_ipv6 = false;
  std::vector<IpamConfig> ipam;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};
Result<NetworkCreateRequest> DecodeNetworkCreateRequest(const nlohmann::json& body);
nlohmann::ordered_json IpamConfigJson(const IpamConfig& config);

// One container's endpoint on a network, for inspect's Containers map and for name resolution.
struct EndpointView {
  std::string container_id;
  std::string name;  // without docker's leading "/"
  std::vector<std::string> aliases;
  std::string endpoint_id;
  std::string mac_address;
  std::string ipv4_address;  // "172.18.0.2/16"
};

// What Connect needs of the container.
struct EndpointOwner {
  std::string container_id;
  std::string name;        // without the leading "/"
  std::string netns_path;  // the container's network namespace
  std::string ifname;      // its interface in there: eth0, eth1, ...
};

inline constexpr const char* kDefaultBridge = "berth0";

class Networks {
 public:
  // Open reads the networks (making bridge, host and none the first time) and sets up the host:
  // berth's nftables table, the bridges, forwarding. Where the host cannot be set up (no root)
  // it says why in the log, and connecting an endpoint fails with that error.
  // Events are published to events, which must outlive the service.
  static Result<std::unique_ptr<Networks>> Open(const std::string& data_root, Events& events);

  // Create makes a user-defined bridge network: kConflict "network with name x already exists",
  // kInvalidArgument for a bad subnet, gateway or range; kNotFound for a driver other than
  // bridge; kNotImplemented for EnableIPv6.
  Result<NetworkRecord> Create(const NetworkCreateRequest& request);
  // Find resolves an id, a name or a unique id prefix; kNotFound "network x not found".
  Result<NetworkRecord> Find(std::string_view ref) const;
  std::vector<NetworkRecord> List() const;
  // Remove deletes a user-defined network: kPermissionDenied for a built-in one or one with
  // endpoints (docker's 403s).
  Status Remove(std::string_view ref);
  // Prune removes the user-defined networks without endpoints that filters select (label,
  // label!, until); returns their names.
  Result<std::vector<std::string>> Prune(const image::store::Filters& filters);
  std::vector<EndpointView> Endpoints(const std::string& network_id) const;
  // Resolve answers the embedded DNS server for container asker: the addresses of the endpoints
  // called name (their container's name or an alias, network::dns::NameMatches) on the
  // user-defined networks asker has an endpoint on. The DNS thread calls it for every query: one
  // pass under the lock, nothing copied.
  std::vector<network::dns::IpAddress> Resolve(const std::string& asker,
                                               std::string_view name) const;

  // Connect plugs a container into network (a bridge network): an address (the one asked for,
  // else the next free one), a veth pair with its peer in the owner's namespace, configured
  // there. Fills endpoint's running fields.
  Status Connect(const NetworkRecord& network, const EndpointOwner& owner,
                 container::Endpoint& endpoint);
  // Disconnect takes the endpoint back: its address, and its veth when live (the container runs
  // on); clears endpoint's running fields.
  void Disconnect(const std::string& container_id, container::Endpoint& endpoint, bool live);
  // Publish binds the container's ports (HostConfig.PortBindings, and with PublishAllPorts
  // every exposed port) to the endpoint's address; all or nothing. Each host port is held by a
  // socket of the daemon's (network/host_socket.h) until Unpublish. kConflict with docker's
  // "Bind for 0.0.0.0:8080 failed: port is already allocated" for a port of another container,
  // and "driver failed programming external connectivity on endpoint NAME (ID): Error starting
  // userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use" for a port a host
  // process holds (an ephemeral port or a range moves on to another port instead).
  Result<std::vector<container::PublishedPort>> Publish(const std::string& container_name,
                                                        const container::Endpoint& endpoint,
                                                        const container::HostConfig& host,
                                                        const std::set<std::string>& exposed_ports);
  void Unpublish(const std::vector<container::PublishedPort>& ports);
  // Restore takes back a running container's endpoint and ports after a daemon restart.
  void Restore(const EndpointOwner& owner, const container::Endpoint& endpoint,
               const std::vector<container::PublishedPort>& ports);

  // HostVeth is the host side's name of an endpoint's veth pair.
  static std::string HostVeth(const std::string& endpoint_id) {
    return "veth" + endpoint_id.substr(0, 7);
  }

 private:
  struct Net {
    NetworkRecord record;
    std::optional<network::AddressPool> pool;       // bridge networks
    std::map<std::string, EndpointView> endpoints;  // by container id
  };
  Networks(std::string dir, Events& events) : dir_(std::move(dir)), events_(events) {}
  // Emit publishes a network event about record; container is the container's id or "".
  void Emit(const NetworkRecord& record, std::string action, const std::string& container);
  Status Save(const NetworkRecord& record);
  Status AddNet(NetworkRecord record);  // mu_ held
  Status SetUpBridge(const Net& net);   // mu_ held
  Result<Net*> FindLocked(std::string_view ref);
  // RecordEndpoint notes endpoint as the owner's on net and its address as taken (mu_ held).
  static void RecordEndpoint(Net& net, const EndpointOwner& owner,
                             const container::Endpoint& endpoint);
  static network::PortMapping MappingOf(const container::PublishedPort& port);
  // BindPort takes a host port of range for mapping (its proto and host_ip) in ports_ and
  // reserves it on the host, moving on past ports host processes hold (mu_ held).
  Result<uint16_t> BindPort(const network::PortMapping& mapping, network::HostPortRange range);
  void ReleasePort(const network::PortMapping& mapping);  // mu_ held
  Status HostReady() const;

  std::string dir_;
  Events& events_;
  mutable std::mutex mu_;
  std::map<std::string, Net> nets_;  // by id
  network::HostPorts ports_;
  // The host sockets of the published ports, by proto, host address and port.
  std::map<std::tuple<std::string, network::Ipv4, uint16_t>, UniqueFd> host_sockets_;
  std::unique_ptr<network::Firewall> firewall_;
  std::optional<network::Netlink> netlink_;
  std::optional<Error> host_error_;  // why the host could not be set up
};

}  // namespace berth::daemon
