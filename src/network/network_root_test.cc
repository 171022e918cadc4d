// Bridges, veths and the nftables rules on the real kernel, inside network namespaces the test
// makes (one plays the host), so the machine's own network is never touched.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "network/firewall.h"
#include "network/link.h"
#include "network/netns.h"

namespace berth::network {
namespace {

// Listen opens a TCP listener on port in the caller's namespace.
UniqueFd Listen(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {INADDR_ANY}};
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) return {};
  if (listen(fd.get(), 8) < 0) return {};
  return fd;
}

// Exchange connects to ip:port, and the listener answers with the address it saw the client at.
std::string Exchange(int listener, const char* ip, uint16_t port) {
  std::string seen;
  std::thread server([&] {
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    UniqueFd conn(accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
    if (!conn) return;
    seen = FormatIpv4(ntohl(peer.sin_addr.s_addr));
    (void)!write(conn.get(), "ok", 2);
  });
  std::string got;
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}};
  inet_pton(AF_INET, ip, &addr.sin_addr);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    char buf[2];
    if (read(fd.get(), buf, 2) == 2) got = std::string(buf, 2);
  } else {
    shutdown(listener, SHUT_RDWR);
  }
  server.join();
  return got == "ok" ? seen : "";
}

TEST(NetworkRoot, BridgeVethAndPublishedPort) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Result<TempDir> dir = TempDir::Make("berth-network-test");
  ASSERT_TRUE(dir);
  const std::string host = dir->path() + "/host", box = dir->path() + "/box";
  ASSERT_TRUE(CreateNetns(host));
  ASSERT_TRUE(CreateNetns(box));
  const Subnet subnet = *ParseSubnet("10.77.0.0/24");
  const Ipv4 gateway = *ParseIpv4("10.77.0.1"), address = *ParseIpv4("10.77.0.2");
  UniqueFd box_fd(open(box.c_str(), O_RDONLY | O_CLOEXEC));
  Status setup = InNetns(host, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Netlink netlink, Netlink::Open());
    BERTH_TRY(netlink.SetUp("lo"));
    BERTH_TRY(netlink.EnsureBridge("brt0", gateway, subnet.prefix));
    BERTH_TRY(netlink.EnsureBridge("brt0", gateway, subnet.prefix));  // again: no change
    BERTH_TRY(netlink.AddVeth({.host_name = "vbt0",
                               .bridge = "brt0",
                               .netns_fd = box_fd.get(),
                               .peer_name = "eth0",
                               .peer_mac = MacOf(address)}));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> veths, netlink.LinksOfKind("veth"));
    EXPECT_EQ(veths, std::vector<std::string>{"vbt0"});
    BERTH_TRY(SetSysctl("net.ipv4.conf.brt0.route_localnet", "1"));
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Firewall> firewall, Firewall::Open());
    BERTH_TRY(firewall->Run(TableCommands()));
    BERTH_TRY(firewall->Run(NetworkCommands({.bridge = "brt0", .subnet = subnet}, true)));
    PortMapping mapping{.host_port = 8080, .container_port = 80};
    return firewall->Run(PortCommands(mapping, address, true));
  });
  ASSERT_TRUE(setup) << setup.error().message();
  Status configured = ConfigureEndpoint(box, "eth0", address, subnet.prefix, gateway);
  ASSERT_TRUE(configured) << configured.error().message();

  UniqueFd listener;
  ASSERT_TRUE(InNetns(box, [&]() -> Status {
    listener = Listen(80);
    return Ok();
  }));
  ASSERT_TRUE(listener);
  std::string direct, published, removed;
  ASSERT_TRUE(InNetns(host, [&]() -> Status {
    direct = Exchange(listener.get(), "10.77.0.2", 80);
    published = Exchange(listener.get(), "127.0.0.1", 8080);
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Firewall> firewall, Firewall::Open());
    PortMapping mapping{.host_port = 8080, .container_port = 80};
    BERTH_TRY(firewall->Run(PortCommands(mapping, address, false)));
    removed = Exchange(listener.get(), "127.0.0.1", 8080);
    return Ok();
  }));
  EXPECT_EQ(direct, "10.77.0.1");     // from the bridge's address
  EXPECT_EQ(published, "10.77.0.1");  // loopback masqueraded to the bridge's address
  EXPECT_EQ(removed, "");             // refused once the port is unpublished
  EXPECT_TRUE(RemoveNetns(box));
  EXPECT_TRUE(RemoveNetns(host));
}

}  // namespace
}  // namespace berth::network
