#include "network/dns/listener.h"

#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <thread>

#include <fmt/format.h>

namespace berth::network::dns {
namespace {

constexpr int kListenBacklog = 64;

}  // namespace

Result<UniqueFd> BoundSocket(int type, const IpAddress& address, uint16_t port, uint16_t* bound) {
  std::string where = fmt::format("{}:{}", address.ToString(), port);
  const char* protocol = type == SOCK_DGRAM ? "udp" : "tcp";
  UniqueFd fd(socket(address.v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Fail(ErrnoNow(fmt::format("create {} socket", protocol)));
  int one = 1;
  if (type == SOCK_STREAM &&
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return Fail(ErrnoNow("set SO_REUSEADDR"));
  }
  sockaddr_storage addr;
  socklen_t size = ToSocketAddress(address, port, &addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), size) != 0) {
    return Fail(ErrnoNow(fmt::format("bind {} {}", protocol, where)));
  }
  if (type == SOCK_STREAM && listen(fd.get(), kListenBacklog) != 0) {
    return Fail(ErrnoNow(fmt::format("listen on tcp {}", where)));
  }
  size = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    return Fail(ErrnoNow("getsockname"));
  }
  *bound = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return fd;
}

Status InNetworkNamespace(int netns_fd, const std::function<Status()>& fn) {
  Status status = Ok();
  std::thread thread([&] {
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) {
      status = Fail(ErrnoNow("enter network namespace"));
      return;
    }
    status = fn();
  });
  thread.join();
  return status;
}

Result<Listeners> Listen(int netns_fd, const IpAddress& address, uint16_t port) {
  Listeners listeners;
  BERTH_TRY(InNetworkNamespace(netns_fd, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(listeners.udp,
                           BoundSocket(SOCK_DGRAM, address, port, &listeners.udp_port));
    BERTH_ASSIGN_OR_RETURN(listeners.tcp,
                           BoundSocket(SOCK_STREAM, address, port, &listeners.tcp_port));
    return Ok();
  }));
  return listeners;
}

}  // namespace berth::network::dns
