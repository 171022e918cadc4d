#include "network/dns/resolv_conf.h"

#include <gtest/gtest.h>

namespace berth::network::dns {
namespace {

TEST(ResolvConfTest, ParsesNameserversSearchAndOptions) {
  ResolvConf conf = ParseResolvConf(
      "# generated\n"
      "nameserver 192.0.2.1\n"
      "nameserver\t2001:db8::1 # second\n"
      "nameserver fe80::1%eth0\n"
      "domain old.example\n"
      "search corp.example  lab.example\n"
      "options edns0 timeout:2\n"
      "options rotate\n"
      "sortlist 130.155.160.0\n");
  ASSERT_EQ(conf.nameservers.size(), 2u);
  EXPECT_EQ(conf.nameservers[0].ToString(), "192.0.2.1");
  EXPECT_EQ(conf.nameservers[1].ToString(), "2001:db8::1");
  EXPECT_EQ(conf.search, (std::vector<std::string>{"corp.example", "lab.example"}));
  EXPECT_EQ(conf.options, (std::vector<std::string>{"edns0", "timeout:2", "rotate"}));
}

TEST(ResolvConfTest, ContainerFileNamesTheEmbeddedServer) {
  ResolvConf host = ParseResolvConf("nameserver 127.0.0.53\nsearch corp.example\noptions edns0\n");
  EXPECT_EQ(ContainerResolvConf(host),
            "nameserver 127.0.0.11\nsearch corp.example\noptions edns0 ndots:0\n");
  host = ParseResolvConf("nameserver 192.0.2.1\noptions ndots:2\n");
  EXPECT_EQ(ContainerResolvConf(host), "nameserver 127.0.0.11\noptions ndots:2\n");
}

TEST(ResolvConfTest, BridgeFileDropsLoopbackServersOrTakesTheGivenOnes) {
  ResolvConf host = ParseResolvConf(
      "# a comment\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 192.0.2.1\n"
      "search corp.example\noptions edns0\n");
  EXPECT_EQ(BridgeResolvConf(host, {}),
            "nameserver 192.0.2.1\nsearch corp.example\noptions edns0\n");
  EXPECT_EQ(BridgeResolvConf(host, {IpAddress::V4(10, 0, 0, 2)}),
            "nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n");
  // Only loopback servers: docker's fallbacks.
  EXPECT_EQ(BridgeResolvConf(ParseResolvConf("nameserver 127.0.0.53\n"), {}),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

}  // namespace
}  // namespace berth::network::dns
