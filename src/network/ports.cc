#include "network/ports.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace berth::network {
namespace {

Result<uint16_t> ParsePort(std::string_view text, bool zero_ok) {
  Result<uint64_t> port = ParseUint64(text);
  if (!port || *port > 65535 || (*port == 0 && !zero_ok)) {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid port \"{}\"", std::string(text)));
  }
  return static_cast<uint16_t>(*port);
}

}  // namespace

Result<PortKey> ParsePortKey(std::string_view text) {
  PortKey key;
  std::string_view port = text;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    port = text.substr(0, slash);
    key.proto = std::string(text.substr(slash + 1));
    if (key.proto != "tcp" && key.proto != "udp" && key.proto != "sctp") {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid port key \"{}\": unknown protocol {}", std::string(text),
                              key.proto));
    }
  }
  BERTH_ASSIGN_OR_RETURN(
      key.port,
      Annotate(ParsePort(port, false), fmt::format("invalid port key \"{}\"", std::string(text))));
  return key;
}

Result<HostPortRange> ParseHostPort(std::string_view text) {
  if (text.empty()) return HostPortRange{};
  const size_t dash = text.find('-');
  BERTH_ASSIGN_OR_RETURN(uint16_t first, ParsePort(text.substr(0, dash), true));
  uint16_t last = first;
  if (dash != std::string_view::npos) {
    BERTH_ASSIGN_OR_RETURN(last, ParsePort(text.substr(dash + 1), true));
  }
  if (last < first) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid port range \"{}\"", std::string(text)));
  }
  return HostPortRange{first, last};
}

bool HostPorts::Free(const std::string& proto, Ipv4 host_ip, uint16_t port) const {
  auto it = bound_.find({proto, port});
  if (it == bound_.end()) return true;
  return std::none_of(it->second.begin(), it->second.end(),
                      [&](Ipv4 ip) { return ip == 0 || host_ip == 0 || ip == host_ip; });
}

void HostPorts::Reserve(const std::string& proto, Ipv4 host_ip, uint16_t port) {
  bound_[{proto, port}].push_back(host_ip);
}

void HostPorts::Release(const std::string& proto, Ipv4 host_ip, uint16_t port) {
  auto it = bound_.find({proto, port});
  if (it == bound_.end()) return;
  if (auto ip = std::find(it->second.begin(), it->second.end(), host_ip); ip != it->second.end()) {
    it->second.erase(ip);
  }
  if (it->second.empty()) bound_.erase(it);
}

Result<uint16_t> HostPorts::Bind(const std::string& proto, Ipv4 host_ip, HostPortRange range) {
  if (range.first == 0) {
    constexpr int kCount = kLastEphemeralPort - kFirstEphemeralPort + 1;
    for (int i = 0; i < kCount; ++i) {
      const uint16_t port = next_ephemeral_;
      next_ephemeral_ = port == kLastEphemeralPort ? kFirstEphemeralPort : port + 1;
      if (Free(proto, host_ip, port)) {
        Reserve(proto, host_ip, port);
        return port;
      }
    }
    return Fail(ErrorKind::kResourceExhausted, "all ports are allocated in the range " +
                                                   std::to_string(kFirstEphemeralPort) + "-" +
                                                   std::to_string(kLastEphemeralPort));
  }
  for (uint32_t port = range.first; port <= range.last; ++port) {
    if (Free(proto, host_ip, static_cast<uint16_t>(port))) {
      Reserve(proto, host_ip, static_cast<uint16_t>(port));
      return static_cast<uint16_t>(port);
    }
  }
  const std::string ports = range.first == range.last
                                ? std::to_string(range.first)
                                : fmt::format("{}-{}", range.first, range.last);
  return Fail(ErrorKind::kConflict, fmt::format("Bind for {}:{} failed: port is already allocated",
                                                FormatIpv4(host_ip), ports));
}

}  // namespace berth::network
