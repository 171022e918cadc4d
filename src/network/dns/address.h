// IpAddress: an IPv4 or IPv6 address as a value, the unit the DNS server answers with. Parsed
// from and printed as text (inet_pton/inet_ntop forms). Plain data; freely copied.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::network::dns {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; an IPv4 address uses the first 4

  // Parse accepts dotted IPv4 and IPv6 text; fails with kInvalidArgument naming the text.
  static Result<IpAddress> Parse(std::string_view text);
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

  size_t size() const { return v6 ? 16 : 4; }
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// ToSocketAddress fills *out with address and port and returns the size to pass to bind/connect.
socklen_t ToSocketAddress(const IpAddress& address, uint16_t port, sockaddr_storage* out);

}  // namespace berth::network::dns
