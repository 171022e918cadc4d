#include "network/ipam.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

Subnet S(const char* text) { return *ParseSubnet(text); }
Ipv4 A(const char* text) { return *ParseIpv4(text); }

TEST(Ipam, ParsesAndFormatsSubnets) {
  EXPECT_EQ(S("172.17.0.0/16").String(), "172.17.0.0/16");
  EXPECT_EQ(S("10.0.0.0/8").Broadcast(), A("10.255.255.255"));
  EXPECT_TRUE(S("10.1.0.0/16").Contains(A("10.1.200.3")));
  EXPECT_FALSE(S("10.1.0.0/16").Contains(A("10.2.0.1")));
  Result<Subnet> host_bits = ParseSubnet("10.0.0.1/8");
  ASSERT_FALSE(host_bits);
  EXPECT_EQ(host_bits.error().message(), "invalid subnet 10.0.0.1/8: it should be 10.0.0.0/8");
  EXPECT_FALSE(ParseSubnet("10.0.0.0"));
  EXPECT_FALSE(ParseSubnet("10.0.0.0/33"));
  EXPECT_FALSE(ParseSubnet("300.0.0.0/8"));
  EXPECT_EQ(ParseIpv4("1.2.3").error().message(), "invalid IPv4 address: \"1.2.3\"");
}

TEST(Ipam, DefaultSubnetsFollowDockersPools) {
  EXPECT_EQ(DefaultSubnet({})->String(), "172.17.0.0/16");
  EXPECT_EQ(DefaultSubnet({S("172.17.0.0/16")})->String(), "172.18.0.0/16");
  // A user's subnet inside a pool takes the pool.
  EXPECT_EQ(DefaultSubnet({S("172.17.0.0/16"), S("172.18.5.0/24")})->String(), "172.19.0.0/16");
  std::vector<Subnet> taken = {S("172.16.0.0/12")};
  EXPECT_EQ(DefaultSubnet(taken)->String(), "192.168.0.0/20");
  taken.push_back(S("192.168.0.0/16"));
  Result<Subnet> none = DefaultSubnet(taken);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kResourceExhausted);
}

TEST(Ipam, AllocatesInOrderSkippingGatewayAndEdges) {
  AddressPool pool = *AddressPool::Make(S("10.9.0.0/29"), A("10.9.0.1"), std::nullopt);
  std::vector<std::string> got;
  while (Result<Ipv4> a = pool.Allocate()) got.push_back(FormatIpv4(*a));
  EXPECT_EQ(got,
            (std::vector<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}));
  EXPECT_EQ(pool.Allocate().error().kind(), ErrorKind::kResourceExhausted);
  pool.Release(A("10.9.0.4"));
  EXPECT_EQ(FormatIpv4(*pool.Allocate()), "10.9.0.4");
}

TEST(Ipam, StaticAddressesAndCollisions) {
  AddressPool pool = *AddressPool::Make(S("10.9.0.0/24"), A("10.9.0.1"), std::nullopt);
  EXPECT_EQ(FormatIpv4(*pool.Allocate(A("10.9.0.50"))), "10.9.0.50");
  Result<Ipv4> again = pool.Allocate(A("10.9.0.50"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(again.error().message(), "Address already in use: 10.9.0.50");
  EXPECT_EQ(pool.Allocate(A("10.9.0.1")).error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(pool.Allocate(A("10.8.0.5")).error().kind(), ErrorKind::kInvalidArgument);
  // Dynamic allocation goes around a reserved address.
  pool.Reserve(A("10.9.0.2"));
  EXPECT_EQ(FormatIpv4(*pool.Allocate()), "10.9.0.3");
}

TEST(Ipam, RangeLimitsDynamicAddresses) {
  AddressPool pool = *AddressPool::Make(S("10.9.0.0/24"), A("10.9.0.1"), S("10.9.0.128/30"));
  EXPECT_EQ(FormatIpv4(*pool.Allocate()), "10.9.0.128");
  EXPECT_EQ(FormatIpv4(*pool.Allocate()), "10.9.0.129");
  EXPECT_FALSE(AddressPool::Make(S("10.9.0.0/24"), A("10.8.0.1"), std::nullopt));
  EXPECT_FALSE(AddressPool::Make(S("10.9.0.0/24"), A("10.9.0.1"), S("10.9.1.0/28")));
}

TEST(Ipam, MacFromAddress) { EXPECT_EQ(MacOf(A("172.17.0.2")), "02:42:ac:11:00:02"); }

}  // namespace
}  // namespace berth::network
