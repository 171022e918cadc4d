// The listening sockets of one served namespace, and how they are made inside it: a thread of its
// own enters the namespace (setns affects only the calling thread), creates and binds the
// sockets and ends; a socket stays in the namespace it was created in, whoever uses it later.
#pragma once

#include <cstdint>
#include <functional>

#include "base/result.h"
#include "base/unique_fd.h"
#include "network/dns/address.h"

namespace berth::network::dns {

struct Listeners {
  UniqueFd udp;  // non-blocking, bound
  UniqueFd tcp;  // non-blocking, listening
  uint16_t udp_port = 0;
  uint16_t tcp_port = 0;
};

// BoundSocket makes a non-blocking UDP (SOCK_DGRAM) or listening TCP (SOCK_STREAM) socket bound
// to address:port, and sets *bound to the port it got.
Result<UniqueFd> BoundSocket(int type, const IpAddress& address, uint16_t port, uint16_t* bound);

// InNetworkNamespace runs fn on a new thread that first enters the network namespace netns_fd
// (-1: the caller's own), and waits for it. The thread ends with fn, so no thread of the process
// is left in another namespace.
Status InNetworkNamespace(int netns_fd, const std::function<Status()>& fn);

// Listen binds a UDP and a TCP socket to address:port in the namespace netns_fd.
Result<Listeners> Listen(int netns_fd, const IpAddress& address, uint16_t port);

}  // namespace berth::network::dns
