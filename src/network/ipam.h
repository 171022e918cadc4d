// IPv4 address management for bridge networks: subnets in CIDR form, the pools docker takes
// default subnets from (172.17.0.0/16 for the default bridge, then 172.18.0.0/16 ... and
// 192.168.0.0/20 ...), and the addresses handed to endpoints. Pure; an AddressPool is not
// thread-safe (its owner locks). The allocation is not stored: the owner rebuilds it from the
// endpoints it keeps (Reserve), as docker rebuilds it from its containers.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::network {

using Ipv4 = uint32_t;  // host byte order

// ParseIpv4 reads a dotted quad; kInvalidArgument naming the text otherwise.
Result<Ipv4> ParseIpv4(std::string_view text);
std::string FormatIpv4(Ipv4 address);

struct Subnet {
  Ipv4 network = 0;  // the first address (host bits zero)
  int prefix = 0;    // 0 to 32

  Ipv4 Mask() const { return prefix == 0 ? 0 : ~Ipv4{0} << (32 - prefix); }
  Ipv4 Broadcast() const { return network | ~Mask(); }
  bool Contains(Ipv4 address) const { return (address & Mask()) == network; }
  bool Overlaps(const Subnet& other) const;
  std::string String() const;  // "172.17.0.0/16"
  bool operator==(const Subnet&) const = default;
};

// ParseSubnet reads "a.b.c.d/n"; host bits must be zero ("invalid subnet 10.0.0.1/8: host bits
// set", as docker refuses it).
Result<Subnet> ParseSubnet(std::string_view text);

// DefaultSubnet is the first of docker's default pools (172.17.0.0/16 ... 172.31.0.0/16, then
// 192.168.0.0/20 ... 192.168.240.0/20) that overlaps none of taken; kResourceExhausted when
// all are taken ("could not find an available, non-overlapping IPv4 address pool among the
// defaults to assign to the network", docker's words).
Result<Subnet> DefaultSubnet(const std::vector<Subnet>& taken);

// The addresses of one network: endpoints get addresses of range (the subnet unless an
// IPRange was given), never the network address, the broadcast or the gateway.
class AddressPool {
 public:
  // Make checks that gateway and range lie in subnet ("no matching subnet for gateway ...").
  static Result<AddressPool> Make(Subnet subnet, Ipv4 gateway, std::optional<Subnet> range);

  const Subnet& subnet() const { return subnet_; }
  Ipv4 gateway() const { return gateway_; }

  // Allocate hands out want (kConflict "Address already in use" when taken; kInvalidArgument
  // when outside the subnet) or, without want, the lowest free address of the range after the
  // one handed out last, wrapping as docker's allocator does (kResourceExhausted when none is
  // left).
  Result<Ipv4> Allocate(std::optional<Ipv4> want = std::nullopt);
  // Reserve marks an address taken without the checks of Allocate (rebuilding the allocation).
  void Reserve(Ipv4 address) { used_.insert(address); }
  void Release(Ipv4 address) { used_.erase(address); }
  bool InUse(Ipv4 address) const { return used_.contains(address); }

 private:
  AddressPool(Subnet subnet, Ipv4 gateway, Subnet range)
      : subnet_(subnet), gateway_(gateway), range_(range) {}
  bool Usable(Ipv4 address) const;

  Subnet subnet_;
  Ipv4 gateway_;
  Subnet range_;
  Ipv4 last_ = 0;
  std::set<Ipv4> used_;
};

// MacOf is the MAC address docker derives from an IPv4 address: 02:42 and the four bytes.
std::string MacOf(Ipv4 address);

}  // namespace berth::network
