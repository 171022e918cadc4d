// The server in a network namespace of the test's own, as berthd runs it for a container: it
// listens on 127.0.0.11:53 inside the namespace, and clients inside it (busybox nslookup, raw UDP
// and TCP queries from a thread that entered it) resolve the names of the namespace's Lookup and,
// through the server in the test's namespace, the names of an upstream on the test's loopback.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "base/child_process.h"
#include "network/dns/listener.h"
#include "network/dns/server.h"
#include "network/dns/testing/dns_client.h"
#include "network/dns/testing/fake_upstream.h"

namespace berth::network::dns {
namespace {

using testing::AnswerAddresses;
using testing::MakeQuery;
using testing::ParseReply;

// NewNetworkNamespace makes a network namespace with its loopback interface up, on a thread that
// ends once it holds the namespace's file.
Result<UniqueFd> NewNetworkNamespace() {
  UniqueFd netns;
  Status made = Ok();
  std::thread thread([&] {
    made = [&]() -> Status {
      if (unshare(CLONE_NEWNET) != 0) return Fail(ErrnoNow("unshare network namespace"));
      netns = UniqueFd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!netns) return Fail(ErrnoNow("open /proc/thread-self/ns/net"));
      UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      ifreq request{};
      std::snprintf(request.ifr_name, IFNAMSIZ, "lo");
      if (ioctl(fd.get(), SIOCGIFFLAGS, &request) != 0) return Fail(ErrnoNow("get lo flags"));
      request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
      if (ioctl(fd.get(), SIOCSIFFLAGS, &request) != 0) return Fail(ErrnoNow("set lo up"));
      return Ok();
    }();
  });
  thread.join();
  BERTH_TRY(made);
  return netns;
}

// Exchange sends one query to 127.0.0.11:53 from inside the namespace.
Result<std::vector<uint8_t>> Exchange(int netns, bool over_tcp, std::span<const uint8_t> query) {
  Result<std::vector<uint8_t>> reply = Fail(ErrorKind::kInternal, "no exchange");
  BERTH_TRY(InNetworkNamespace(netns, [&]() -> Status {
    reply = over_tcp ? testing::ExchangeTcp(EmbeddedServerAddress(), 53, query)
                     : testing::ExchangeUdp(EmbeddedServerAddress(), 53, query);
    return Ok();
  }));
  return reply;
}

// Nslookup runs busybox's nslookup against 127.0.0.11 inside the namespace and returns what it
// printed. The names end in a dot, so that the search domains of the host's resolv.conf, which
// nslookup reads, are not tried first.
std::string Nslookup(int netns, const std::string& name) {
  SpawnOptions options;
  options.argv = {
      "nsenter", "--net=/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(netns),
      "busybox", "nslookup",
      name,      "127.0.0.11"};
  Result<ProgramOutput> output = RunForOutput(options);
  EXPECT_TRUE(output) << output.error().message();
  return output ? output->out : "";
}

class ServerRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
    if (access("/usr/bin/busybox", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/busybox";
    upstream_ = testing::FakeUpstream::Start().value();
    ServerOptions options;
    options.upstreams = {Upstream{IpAddress::V4(127, 0, 0, 1), upstream_->port()}};
    server_ = Server::Start(options).value();
    netns_ = NewNetworkNamespace().value();
    Lookup lookup;
    lookup.addresses = [](std::string_view name) -> std::vector<IpAddress> {
      if (name == "web") return {IpAddress::V4(10, 0, 0, 2), IpAddress::V4(10, 0, 0, 3)};
      if (name == "db") return {IpAddress::V4(10, 0, 0, 4)};
      return {};
    };
    lookup.name = [](const IpAddress& address) -> std::string {
      return address == IpAddress::V4(10, 0, 0, 4) ? "db.mynet" : "";
    };
    Result<Registration> registration = server_->Serve(netns_.get(), lookup, {});
    ASSERT_TRUE(registration) << registration.error().message();
    registration_ = *registration;
  }

  std::unique_ptr<testing::FakeUpstream> upstream_;
  std::unique_ptr<Server> server_;
  UniqueFd netns_;
  Registration registration_;
};

TEST_F(ServerRootTest, NslookupResolvesContainerNames) {
  std::string out = Nslookup(netns_.get(), "db.");
  EXPECT_NE(out.find("Address: 10.0.0.4"), std::string::npos) << out;
}

TEST_F(ServerRootTest, NslookupSeesAliasesInRoundRobin) {
  std::string first = Nslookup(netns_.get(), "web.");
  std::string second = Nslookup(netns_.get(), "web.");
  size_t first_2 = first.find("10.0.0.2"), first_3 = first.find("10.0.0.3");
  size_t second_2 = second.find("10.0.0.2"), second_3 = second.find("10.0.0.3");
  ASSERT_NE(first_2, std::string::npos) << first;
  ASSERT_NE(first_3, std::string::npos) << first;
  ASSERT_NE(second_2, std::string::npos) << second;
  ASSERT_NE(second_3, std::string::npos) << second;
  EXPECT_NE(first_2 < first_3, second_2 < second_3) << first << second;
}

TEST_F(ServerRootTest, NslookupGetsOtherNamesFromTheHostsLoopbackUpstream) {
  std::string out = Nslookup(netns_.get(), "example.org.");
  EXPECT_NE(out.find("Address: 192.0.2.53"), std::string::npos) << out;
  EXPECT_GE(upstream_->udp_queries(), 1);
}

TEST_F(ServerRootTest, AnswersOverTcpAndPointerQueries) {
  Result<std::vector<uint8_t>> reply = Exchange(netns_.get(), true, MakeQuery(1, "db", kTypeA));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(AnswerAddresses(ParseReply(*reply).value()), std::vector<std::string>{"10.0.0.4"});
  reply = Exchange(netns_.get(), true, MakeQuery(2, "example.org", kTypeA));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(AnswerAddresses(ParseReply(*reply).value()), std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(upstream_->tcp_queries(), 1);
  reply = Exchange(netns_.get(), false, MakeQuery(3, "4.0.0.10.in-addr.arpa", kTypePtr));
  ASSERT_TRUE(reply) << reply.error().message();
  testing::Reply ptr = ParseReply(*reply).value();
  ASSERT_EQ(ptr.answers.size(), 1u);
  EXPECT_EQ(ptr.answers[0].data, EncodeName("db.mynet").value());
}

TEST_F(ServerRootTest, ListensOnlyInsideTheNamespace) {
  // A second namespace of its own has no server on 127.0.0.11.
  UniqueFd other = NewNetworkNamespace().value();
  Result<std::vector<uint8_t>> reply = Exchange(other.get(), false, MakeQuery(1, "db", kTypeA));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().sys_errno(), ECONNREFUSED);
}

TEST_F(ServerRootTest, StopClosesTheSocketsInTheNamespace) {
  Result<Registration> twice = server_->Serve(netns_.get(), Lookup{}, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().sys_errno(), EADDRINUSE) << twice.error().message();
  EXPECT_NE(twice.error().message().find("127.0.0.11:53"), std::string::npos);
  server_->Stop(registration_);
  Result<std::vector<uint8_t>> udp = Exchange(netns_.get(), false, MakeQuery(1, "db", kTypeA));
  ASSERT_FALSE(udp);
  EXPECT_EQ(udp.error().sys_errno(), ECONNREFUSED);
  Result<std::vector<uint8_t>> tcp = Exchange(netns_.get(), true, MakeQuery(1, "db", kTypeA));
  ASSERT_FALSE(tcp);
  EXPECT_EQ(tcp.error().sys_errno(), ECONNREFUSED);
  // The address is free again: the namespace can be served anew.
  Result<Registration> again = server_->Serve(netns_.get(), Lookup{}, {});
  EXPECT_TRUE(again) << again.error().message();
}

}  // namespace
}  // namespace berth::network::dns
