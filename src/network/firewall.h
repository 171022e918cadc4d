// berth's nftables rules, in a table of its own (`ip berth`; no other table is touched):
// masquerade of what containers send out, isolation between bridge networks (and of internal
// ones from everything else), and DNAT of published ports, both for traffic arriving from other
// interfaces (prerouting) and for the host's own connections to its addresses, loopback
// included (output; the bridge needs route_localnet, and the source is masqueraded). The
// rules are fixed; networks and ports are elements of its sets and maps, so adding or removing
// one is one nftables transaction that touches nothing else.
//
// The command text is planned by pure functions (unit-tested); Firewall runs it through
// libnftables. Thread-safe (one lock around the nftables context).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "network/ipam.h"
#include "network/ports.h"

struct nft_ctx;

namespace berth::network {

inline constexpr const char* kTable = "berth";

// TableCommands recreates the table, empty of networks and ports.
std::string TableCommands();

// A bridge network as the rules see it.
struct FirewallNetwork {
  std::string bridge;
  Subnet subnet;
  bool internal = false;  // no traffic in or out of the network
};
// NetworkCommands adds (add) or deletes the network's elements.
std::string NetworkCommands(const FirewallNetwork& network, bool add);
// PortCommands adds or deletes the DNAT of mapping to container_ip.
std::string PortCommands(const PortMapping& mapping, Ipv4 container_ip, bool add);

class Firewall {
 public:
  static Result<std::unique_ptr<Firewall>> Open();
  ~Firewall();
  // Run runs commands (nftables syntax) as one transaction; the error carries nft's message.
  Status Run(const std::string& commands);

 private:
  explicit Firewall(nft_ctx* ctx) : ctx_(ctx) {}
  std::mutex mu_;
  nft_ctx* ctx_;
};

}  // namespace berth::network
