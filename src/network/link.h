// Network interfaces over rtnetlink (libnl-route): bridges, veth pairs, addresses and routes.
// A Netlink talks to the network namespace it was opened in (the calling thread's), whatever
// thread uses it later. Not thread-safe: one user at a time. Errors name the interface and the
// operation; an interface that does not exist is kNotFound, one that does kAlreadyExists.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "network/ipam.h"

struct nl_sock;

namespace berth::network {

// One end of a container's endpoint: the host's veth on the bridge and its peer, made directly
// in the container's namespace as eth0 with the endpoint's MAC.
struct VethSpec {
  std::string host_name;  // the host side, on the bridge
  std::string bridge;     // the bridge it is plugged into
  int netns_fd = -1;      // the container's network namespace
  std::string peer_name;  // its name in there ("eth0")
  std::string peer_mac;   // "02:42:ac:11:00:02"
};

class Netlink {
 public:
  static Result<Netlink> Open();
  ~Netlink();
  Netlink(Netlink&& other) noexcept;
  Netlink& operator=(Netlink&&) = delete;

  // EnsureBridge makes bridge name unless it exists, gives it address/prefix unless it has it,
  // and brings it up.
  Status EnsureBridge(const std::string& name, Ipv4 address, int prefix);
  // AddVeth makes the pair and brings the host side up on its bridge.
  Status AddVeth(const VethSpec& spec);
  Status DeleteLink(const std::string& name);
  // LinksOfKind lists the interfaces of a kind ("bridge", "veth").
  Result<std::vector<std::string>> LinksOfKind(const std::string& kind);
  Status SetUp(const std::string& name);
  Status AddAddress(const std::string& name, Ipv4 address, int prefix);
  Status AddDefaultRoute(const std::string& name, Ipv4 gateway);

 private:
  explicit Netlink(nl_sock* socket) : socket_(socket) {}
  Result<int> IndexOf(const std::string& name);

  nl_sock* socket_;
};

// ConfigureEndpoint sets up the container's side inside the namespace at netns_path: lo and
// ifname up, ifname's address/prefix, and (for eth0) the default route through gateway.
Status ConfigureEndpoint(const std::string& netns_path, const std::string& ifname, Ipv4 address,
                         int prefix, Ipv4 gateway);

// SetUpLoopback brings lo up inside the namespace at netns_path.
Status SetUpLoopback(const std::string& netns_path);

// SetSysctl writes value to /proc/sys/<key with dots as slashes> in the caller's namespace.
Status SetSysctl(const std::string& key, const std::string& value);

}  // namespace berth::network
