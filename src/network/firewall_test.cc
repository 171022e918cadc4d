#include "network/firewall.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

TEST(Firewall, NetworkElements) {
  FirewallNetwork n{.bridge = "br-x", .subnet = *ParseSubnet("172.18.0.0/16")};
  EXPECT_EQ(NetworkCommands(n, true),
            "add element ip berth bridges { \"br-x\" }\n"
            "add element ip berth same { \"br-x\" . \"br-x\" }\n"
            "add element ip berth nat_subnets { 172.18.0.0/16 }\n");
  n.internal = true;
  EXPECT_EQ(NetworkCommands(n, false),
            "delete element ip berth bridges { \"br-x\" }\n"
            "delete element ip berth same { \"br-x\" . \"br-x\" }\n"
            "delete element ip berth internal { \"br-x\" }\n");
}

TEST(Firewall, PortElements) {
  const Ipv4 container = *ParseIpv4("172.17.0.2");
  PortMapping any{.proto = "tcp", .host_port = 8080, .container_port = 80};
  EXPECT_EQ(PortCommands(any, container, true),
            "add element ip berth ports_any { tcp . 8080 : 172.17.0.2 . 80 }\n");
  PortMapping local{
      .proto = "udp", .host_ip = *ParseIpv4("127.0.0.1"), .host_port = 53, .container_port = 53};
  EXPECT_EQ(PortCommands(local, container, false),
            "delete element ip berth ports_ip { 127.0.0.1 . udp . 53 }\n");
}

}  // namespace
}  // namespace berth::network
