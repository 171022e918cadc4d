// resolv.conf (resolv.conf(5)) as the embedded DNS server needs it: the host's file gives the
// upstream servers and the search and options lines; a container on a user-defined network gets
// a file naming the embedded server instead. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "network/dns/address.h"

namespace berth::network::dns {

// The address the embedded server listens on in each container's network namespace, docker's.
inline IpAddress EmbeddedServerAddress() { return IpAddress::V4(127, 0, 0, 11); }

struct ResolvConf {
  std::vector<IpAddress> nameservers;  // unparsable entries (e.g. with a %zone) are skipped
  std::vector<std::string> search;     // the last search (or domain) line wins, as in glibc
  std::vector<std::string> options;
};

ResolvConf ParseResolvConf(std::string_view text);

// ContainerResolvConf is the /etc/resolv.conf of a container served by the embedded server:
// "nameserver 127.0.0.11", the host's search domains, and the host's options with "ndots:0"
// unless they set ndots (so that single-label names are asked as they are, as docker does).
std::string ContainerResolvConf(const ResolvConf& host);

// BridgeResolvConf is the /etc/resolv.conf of a container on a network of its own that the
// embedded server does not serve (docker's default bridge): servers (dockerd's --dns) when
// given, else the host's nameservers but the loopback ones it cannot reach, else docker's
// fallbacks (Google's public servers); the host's search and options lines.
std::string BridgeResolvConf(const ResolvConf& host, const std::vector<IpAddress>& servers);

}  // namespace berth::network::dns
