#include "network/host_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace berth::network {
namespace {

constexpr Ipv4 kLoopback = 0x7f000001;

// BindLoopback binds a socket of type to 127.0.0.1:port (0: any); returns its fd and port.
std::pair<UniqueFd, uint16_t> BindLoopback(int type, uint16_t port) {
  UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(kLoopback);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0) {
    return {UniqueFd(), 0};
  }
  socklen_t size = sizeof(address);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size);
  return {std::move(fd), ntohs(address.sin_port)};
}

TEST(HostSocketTest, APortInUseIsRefusedWithDockersWords) {
  auto [taken, port] = BindLoopback(SOCK_STREAM, 0);
  ASSERT_TRUE(taken.valid());
  ASSERT_EQ(listen(taken.get(), 1), 0);
  Result<UniqueFd> reserved = ReserveHostPort("tcp", kLoopback, port);
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(reserved.error().message(),
            "Error starting userland proxy: listen tcp4 127.0.0.1:" + std::to_string(port) +
                ": bind: address already in use");
}

TEST(HostSocketTest, AReservedPortCannotBeTakenByAnotherSocket) {
  // A free port: bind an ephemeral one, note it, let it go.
  uint16_t port = BindLoopback(SOCK_DGRAM, 0).second;
  ASSERT_NE(port, 0);
  Result<UniqueFd> udp = ReserveHostPort("udp", kLoopback, port);
  ASSERT_TRUE(udp) << udp.error().message();
  EXPECT_FALSE(BindLoopback(SOCK_DGRAM, port).first.valid());
  port = BindLoopback(SOCK_STREAM, 0).second;
  Result<UniqueFd> tcp = ReserveHostPort("tcp", 0, port);
  ASSERT_TRUE(tcp) << tcp.error().message();
  EXPECT_FALSE(BindLoopback(SOCK_STREAM, port).first.valid());
  tcp->Reset();
  EXPECT_TRUE(BindLoopback(SOCK_STREAM, port).first.valid());
}

TEST(HostSocketTest, SctpReservesNothing) {
  Result<UniqueFd> sctp = ReserveHostPort("sctp", 0, 9);
  ASSERT_TRUE(sctp);
  EXPECT_FALSE(sctp->valid());
}

}  // namespace
}  // namespace berth::network
