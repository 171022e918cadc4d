// Published ports: docker's port keys ("80/tcp"), the host side of a binding ("HostIp",
// "HostPort": a port, a range "8000-8010" or empty for an ephemeral one) and the table of host
// ports in use, which hands out ephemeral ports from docker's range (32768-60999) and refuses a
// port already bound with docker's error. Pure; HostPorts is not thread-safe (its owner locks).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "network/ipam.h"

namespace berth::network {

struct PortKey {
  uint16_t port = 0;
  std::string proto = "tcp";  // tcp, udp or sctp
  std::string String() const { return std::to_string(port) + "/" + proto; }
  auto operator<=>(const PortKey&) const = default;
};

// ParsePortKey reads "80", "80/tcp", "53/udp"; kInvalidArgument "invalid port key" otherwise.
Result<PortKey> ParsePortKey(std::string_view text);

// A range of host ports asked for: [first, last]; 0-0 for an ephemeral port.
struct HostPortRange {
  uint16_t first = 0;
  uint16_t last = 0;
};
// ParseHostPort reads "", "8080" or "8000-8010".
Result<HostPortRange> ParseHostPort(std::string_view text);

// One published port, as it is bound.
struct PortMapping {
  std::string proto = "tcp";
  Ipv4 host_ip = 0;  // 0: every address of the host
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  auto operator<=>(const PortMapping&) const = default;
};

inline constexpr uint16_t kFirstEphemeralPort = 32768;
inline constexpr uint16_t kLastEphemeralPort = 60999;

class HostPorts {
 public:
  // Bind takes a port of range for proto on host_ip: an ephemeral one for 0-0 (kResourceExhausted
  // when none is free), else the first free port of the range; kConflict "Bind for
  // 0.0.0.0:8080 failed: port is already allocated" when none is free. A port bound on every
  // address conflicts with the same port on any address and back.
  Result<uint16_t> Bind(const std::string& proto, Ipv4 host_ip, HostPortRange range);
  void Release(const std::string& proto, Ipv4 host_ip, uint16_t port);
  // Reserve marks a port bound (rebuilding the table from the containers' records).
  void Reserve(const std::string& proto, Ipv4 host_ip, uint16_t port);

 private:
  bool Free(const std::string& proto, Ipv4 host_ip, uint16_t port) const;

  std::map<std::pair<std::string, uint16_t>, std::vector<Ipv4>> bound_;
  uint16_t next_ephemeral_ = kFirstEphemeralPort;
};

}  // namespace berth::network
