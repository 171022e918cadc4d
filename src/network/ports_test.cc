#include "network/ports.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

TEST(Ports, ParsesPortKeys) {
  EXPECT_EQ(ParsePortKey("80")->String(), "80/tcp");
  EXPECT_EQ(ParsePortKey("53/udp")->String(), "53/udp");
  EXPECT_FALSE(ParsePortKey("80/icmp"));
  EXPECT_FALSE(ParsePortKey("0/tcp"));
  EXPECT_FALSE(ParsePortKey("70000"));
  EXPECT_FALSE(ParsePortKey("http"));
}

TEST(Ports, ParsesHostPorts) {
  EXPECT_EQ(ParseHostPort("")->first, 0);
  EXPECT_EQ(ParseHostPort("8080")->last, 8080);
  HostPortRange range = *ParseHostPort("8000-8010");
  EXPECT_EQ(range.first, 8000);
  EXPECT_EQ(range.last, 8010);
  EXPECT_FALSE(ParseHostPort("8010-8000"));
  EXPECT_FALSE(ParseHostPort("x"));
}

TEST(Ports, RefusesAPortBoundTwiceWithDockersError) {
  HostPorts ports;
  EXPECT_EQ(*ports.Bind("tcp", 0, {8080, 8080}), 8080);
  Result<uint16_t> again = ports.Bind("tcp", 0, {8080, 8080});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(again.error().message(), "Bind for 0.0.0.0:8080 failed: port is already allocated");
  // Every address conflicts with one address, but another protocol does not.
  EXPECT_FALSE(ports.Bind("tcp", *ParseIpv4("127.0.0.1"), {8080, 8080}));
  EXPECT_EQ(*ports.Bind("udp", 0, {8080, 8080}), 8080);
  ports.Release("tcp", 0, 8080);
  EXPECT_EQ(*ports.Bind("tcp", *ParseIpv4("127.0.0.1"), {8080, 8080}), 8080);
  EXPECT_EQ(*ports.Bind("tcp", *ParseIpv4("127.0.0.2"), {8080, 8080}), 8080);
}

TEST(Ports, RangesAndEphemeralPorts) {
  HostPorts ports;
  ports.Reserve("tcp", 0, 9000);
  EXPECT_EQ(*ports.Bind("tcp", 0, {9000, 9002}), 9001);
  const uint16_t first = *ports.Bind("tcp", 0, {});
  const uint16_t second = *ports.Bind("tcp", 0, {});
  EXPECT_GE(first, kFirstEphemeralPort);
  EXPECT_LE(first, kLastEphemeralPort);
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace berth::network
