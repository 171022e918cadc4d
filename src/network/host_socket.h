// The host's side of a published port: a socket bound to the host address and port (listening,
// for tcp) that berthd holds while the port is published, as dockerd does, so that a port a host
// process already uses is refused and no host process can take a published one. The traffic
// itself never reaches it: DNAT (firewall.h) sends it to the container first. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "network/ipam.h"

namespace berth::network {

// ReserveHostPort binds proto ("tcp", "udp"; "sctp" reserves nothing and gives an empty fd) on
// host_ip:port (every IPv4 address for 0). A port in use is kConflict with dockerd's words:
// "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use".
Result<UniqueFd> ReserveHostPort(const std::string& proto, Ipv4 host_ip, uint16_t port);

}  // namespace berth::network
