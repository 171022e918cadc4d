#include "network/host_socket.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace berth::network {

Result<UniqueFd> ReserveHostPort(const std::string& proto, Ipv4 host_ip, uint16_t port) {
  if (proto != "tcp" && proto != "udp") return UniqueFd();
  const bool tcp = proto == "tcp";
  const std::string what =
      fmt::format("listen {}4 {}:{}", proto, FormatIpv4(host_ip), static_cast<unsigned>(port));
  UniqueFd fd(socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) return Fail(ErrnoNow(what + ": socket"));
  // As a server would: a connection of the port's last user in TIME_WAIT does not block it.
  const int on = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0) {
    return Fail(ErrnoNow(what + ": setsockopt SO_REUSEADDR"));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(host_ip);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0 ||
      (tcp && listen(fd.get(), 1) < 0)) {
    const int err = errno;
    if (err == EADDRINUSE) {
      return Fail(
          ErrorKind::kConflict,
          fmt::format("Error starting userland proxy: {}: bind: address already in use", what));
    }
    return Fail(Errno(err, "Error starting userland proxy: " + what + ": bind"));
  }
  return fd;
}

}  // namespace berth::network
