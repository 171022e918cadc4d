#include "network/ipam.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "base/strings.h"

namespace berth::network {

Result<Ipv4> ParseIpv4(std::string_view text) {
  in_addr address{};
  if (inet_pton(AF_INET, std::string(text).c_str(), &address) != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid IPv4 address: \"{}\"", std::string(text)));
  }
  return ntohl(address.s_addr);
}

std::string FormatIpv4(Ipv4 address) {
  return fmt::format("{}.{}.{}.{}", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
                     address & 0xff);
}

bool Subnet::Overlaps(const Subnet& other) const {
  return Contains(other.network) || other.Contains(network);
}

std::string Subnet::String() const { return fmt::format("{}/{}", FormatIpv4(network), prefix); }

Result<Subnet> ParseSubnet(std::string_view text) {
  const size_t slash = text.find('/');
  Result<uint64_t> prefix = slash == std::string_view::npos
                                ? Result<uint64_t>(Fail(ErrorKind::kInvalidArgument, ""))
                                : ParseUint64(text.substr(slash + 1));
  if (!prefix || *prefix > 32) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid CIDR address: {}", std::string(text)));
  }
  BERTH_ASSIGN_OR_RETURN(Ipv4 address, ParseIpv4(text.substr(0, slash)));
  Subnet subnet{.network = address, .prefix = static_cast<int>(*prefix)};
  if ((address & subnet.Mask()) != address) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid subnet {}: it should be {}", std::string(text),
                            Subnet{address & subnet.Mask(), subnet.prefix}.String()));
  }
  return subnet;
}

Result<Subnet> DefaultSubnet(const std::vector<Subnet>& taken) {
  std::vector<Subnet> candidates;
  for (Ipv4 second = 17; second <= 31; ++second) {
    candidates.push_back({(172u << 24) | (second << 16), 16});
  }
  for (Ipv4 third = 0; third < 256; third += 16) {
    candidates.push_back({(192u << 24) | (168u << 16) | (third << 8), 20});
  }
  for (const Subnet& candidate : candidates) {
    bool free = true;
    for (const Subnet& t : taken) free = free && !t.Overlaps(candidate);
    if (free) return candidate;
  }
  return Fail(ErrorKind::kResourceExhausted,
              "could not find an available, non-overlapping IPv4 address pool among the "
              "defaults to assign to the network");
}

Result<AddressPool> AddressPool::Make(Subnet subnet, Ipv4 gateway, std::optional<Subnet> range) {
  if (!subnet.Contains(gateway)) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("no matching subnet for gateway {}", FormatIpv4(gateway)));
  }
  if (range && (range->prefix < subnet.prefix || !subnet.Contains(range->network))) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("no matching subnet for range {}", range->String()));
  }
  return AddressPool(subnet, gateway, range.value_or(subnet));
}

bool AddressPool::Usable(Ipv4 address) const {
  // /31 and /32 subnets have no network and broadcast addresses to skip.
  const bool edges =
      subnet_.prefix < 31 && (address == subnet_.network || address == subnet_.Broadcast());
  return subnet_.Contains(address) && !edges && address != gateway_ && !used_.contains(address);
}

Result<Ipv4> AddressPool::Allocate(std::optional<Ipv4> want) {
  if (want) {
    if (!subnet_.Contains(*want)) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid address {}: it does not belong to the network's subnet {}",
                              FormatIpv4(*want), subnet_.String()));
    }
    if (!Usable(*want)) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("Address already in use: {}", FormatIpv4(*want)));
    }
    used_.insert(*want);
    return *want;
  }
  const uint64_t size = uint64_t{1} << (32 - range_.prefix);
  const Ipv4 start = range_.Contains(last_) ? last_ - range_.network + 1 : 0;
  for (uint64_t i = 0; i < size; ++i) {
    const Ipv4 candidate = range_.network + static_cast<Ipv4>((start + i) % size);
    if (Usable(candidate)) {
      used_.insert(candidate);
      last_ = candidate;
      return candidate;
    }
  }
  return Fail(ErrorKind::kResourceExhausted,
              fmt::format("no available IPv4 addresses on this network's address pools: {}",
                          range_.String()));
}

std::string MacOf(Ipv4 address) {
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", address >> 24, (address >> 16) & 0xff,
                     (address >> 8) & 0xff, address & 0xff);
}

}  // namespace berth::network
