// The server on real sockets of the test's own network namespace: it listens on ephemeral ports of
// 127.0.0.1 and forwards to a FakeUpstream on 127.0.0.1.
#include "network/dns/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <optional>

#include "network/dns/listener.h"
#include "network/dns/testing/dns_client.h"
#include "network/dns/testing/fake_upstream.h"

namespace berth::network::dns {
namespace {

using testing::AnswerAddresses;
using testing::ExchangeTcp;
using testing::ExchangeUdp;
using testing::MakeQuery;
using testing::ParseReply;

const IpAddress kLoopback = IpAddress::V4(127, 0, 0, 1);

Lookup MapLookup(std::map<std::string, std::vector<std::string>> names) {
  Lookup lookup;
  lookup.addresses = [names = std::move(names)](std::string_view name) {
    std::vector<IpAddress> out;
    if (auto it = names.find(std::string(name)); it != names.end()) {
      for (const std::string& text : it->second) out.push_back(IpAddress::Parse(text).value());
    }
    return out;
  };
  return lookup;
}

// A UDP port on which nothing listens (bound, read and closed again).
uint16_t ClosedUdpPort() {
  uint16_t port = 0;
  EXPECT_TRUE(BoundSocket(SOCK_DGRAM, kLoopback, 0, &port));
  return port;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = testing::FakeUpstream::Start().value();
    server_ = StartServer({Upstream{kLoopback, upstream_->port()}});
    registration_ =
        server_
            ->Serve(-1, MapLookup({{"web", {"10.0.0.2", "10.0.0.3"}}, {"db", {"10.0.0.4"}}}),
                    {"corp.example"})
            .value();
  }

  std::unique_ptr<Server> StartServer(std::vector<Upstream> upstreams) {
    ServerOptions options;
    options.upstreams = std::move(upstreams);
    options.upstream_timeout_ms = 300;
    options.listen_address = kLoopback;
    options.port = 0;
    return Server::Start(options).value();
  }

  testing::Reply Udp(std::string_view name, uint16_t id = 7) {
    Result<std::vector<uint8_t>> reply =
        ExchangeUdp(kLoopback, registration_.udp_port, MakeQuery(id, name, kTypeA));
    EXPECT_TRUE(reply) << reply.error().message();
    return reply ? ParseReply(*reply).value() : testing::Reply{};
  }

  testing::Reply Tcp(std::string_view name) {
    Result<std::vector<uint8_t>> reply =
        ExchangeTcp(kLoopback, registration_.tcp_port, MakeQuery(8, name, kTypeA));
    EXPECT_TRUE(reply) << reply.error().message();
    return reply ? ParseReply(*reply).value() : testing::Reply{};
  }

  std::unique_ptr<testing::FakeUpstream> upstream_;
  std::unique_ptr<Server> server_;
  Registration registration_;
};

TEST_F(ServerTest, AnswersKnownNamesOverUdpAndTcp) {
  EXPECT_EQ(AnswerAddresses(Udp("db")), std::vector<std::string>{"10.0.0.4"});
  EXPECT_EQ(AnswerAddresses(Tcp("DB.corp.example.")), std::vector<std::string>{"10.0.0.4"});
  EXPECT_EQ(upstream_->udp_queries() + upstream_->tcp_queries(), 0);
}

TEST_F(ServerTest, RotatesAnswersPerQuery) {
  std::vector<std::string> first = AnswerAddresses(Udp("web"));
  std::vector<std::string> second = AnswerAddresses(Tcp("web"));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(second, (std::vector<std::string>{first[1], first[0]}));
}

TEST_F(ServerTest, RelaysUpstreamRepliesUnchangedButForTheId) {
  Result<std::vector<uint8_t>> reply =
      ExchangeUdp(kLoopback, registration_.udp_port, MakeQuery(0x5151, "example.org", kTypeA));
  ASSERT_TRUE(reply) << reply.error().message();
  std::vector<uint8_t> sent = upstream_->last_reply();
  EXPECT_EQ(MessageId(*reply), 0x5151);
  SetMessageId(sent, 0x5151);
  EXPECT_EQ(*reply, sent);
  EXPECT_EQ(AnswerAddresses(ParseReply(*reply).value()), std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(upstream_->udp_queries(), 1);
  // Over TCP the upstream is asked over TCP.
  EXPECT_EQ(AnswerAddresses(Tcp("example.org")), std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(upstream_->tcp_queries(), 1);
}

TEST_F(ServerTest, AsksAgainOverTcpWhenTheUpstreamTruncates) {
  testing::Reply wide = Udp("wide.example");
  EXPECT_FALSE(wide.truncated);
  EXPECT_EQ(wide.answers.size(), 4u);
  EXPECT_EQ(upstream_->tcp_queries(), 1);
  // The whole reply does not fit 512 bytes: the UDP client gets the truncated one, and over TCP
  // the whole.
  testing::Reply big = Udp("big.example");
  EXPECT_TRUE(big.truncated);
  EXPECT_TRUE(big.answers.empty());
  EXPECT_EQ(Tcp("big.example").answers.size(), 60u);
}

TEST_F(ServerTest, TriesTheNextUpstreamAndFailsWithServfail) {
  server_ =
      StartServer({Upstream{kLoopback, ClosedUdpPort()}, Upstream{kLoopback, upstream_->port()}});
  registration_ = server_->Serve(-1, MapLookup({}), {}).value();
  EXPECT_EQ(AnswerAddresses(Udp("example.org")), std::vector<std::string>{"192.0.2.53"});
  // The fake upstream never answers this one: after both upstreams, SERVFAIL with the question.
  testing::Reply reply = Udp("silent.example", 99);
  EXPECT_EQ(reply.id, 99);
  EXPECT_EQ(reply.rcode, Rcode::kServFail);
  EXPECT_EQ(reply.questions, 1);
}

TEST_F(ServerTest, WithoutUpstreamsUnknownNamesFail) {
  server_ = StartServer({});
  registration_ = server_->Serve(-1, MapLookup({{"db", {"10.0.0.4"}}}), {}).value();
  EXPECT_EQ(Udp("example.org").rcode, Rcode::kServFail);
  EXPECT_EQ(AnswerAddresses(Udp("db")), std::vector<std::string>{"10.0.0.4"});
}

TEST_F(ServerTest, EachRegistrationAnswersFromItsOwnLookup) {
  Registration other = server_->Serve(-1, MapLookup({{"db", {"10.9.9.9"}}}), {}).value();
  Result<std::vector<uint8_t>> reply =
      ExchangeUdp(kLoopback, other.udp_port, MakeQuery(1, "db", kTypeA));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(AnswerAddresses(ParseReply(*reply).value()), std::vector<std::string>{"10.9.9.9"});
  EXPECT_EQ(AnswerAddresses(Udp("db")), std::vector<std::string>{"10.0.0.4"});
}

TEST_F(ServerTest, AnswersMalformedQueriesAndKeepsServing) {
  std::vector<uint8_t> bad = MakeQuery(3, "db", kTypeA);
  bad[5] = 0;
  Result<std::vector<uint8_t>> reply = ExchangeUdp(kLoopback, registration_.udp_port, bad);
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(ParseReply(*reply)->rcode, Rcode::kFormErr);
  EXPECT_EQ(AnswerAddresses(Udp("db")), std::vector<std::string>{"10.0.0.4"});
}

// A TCP client may send several queries at once, and a query in pieces; each gets its reply.
TEST_F(ServerTest, ReadsTcpQueriesAsTheyArrive) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage addr;
  socklen_t size = ToSocketAddress(kLoopback, registration_.tcp_port, &addr);
  ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), size), 0);
  std::vector<uint8_t> stream = FrameForTcp(MakeQuery(1, "db", kTypeA));
  std::vector<uint8_t> second = FrameForTcp(MakeQuery(2, "example.org", kTypeA));
  std::vector<uint8_t> third = FrameForTcp(MakeQuery(3, "web", kTypeA));
  stream.insert(stream.end(), second.begin(), second.end());
  stream.insert(stream.end(), third.begin(), third.begin() + 5);
  ASSERT_EQ(send(fd.get(), stream.data(), stream.size(), 0), static_cast<ssize_t>(stream.size()));
  std::vector<uint8_t> received;
  std::map<uint16_t, std::vector<std::string>> answers;
  auto read_reply = [&] {
    std::optional<std::vector<uint8_t>> reply;
    while (!(reply = TakeFramedMessage(received))) {
      uint8_t buffer[4096];
      ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
      ASSERT_GT(n, 0);
      received.insert(received.end(), buffer, buffer + n);
    }
    testing::Reply parsed = ParseReply(*reply).value();
    answers[parsed.id] = AnswerAddresses(parsed);
  };
  read_reply();
  read_reply();
  ASSERT_EQ(send(fd.get(), third.data() + 5, third.size() - 5, 0),
            static_cast<ssize_t>(third.size() - 5));
  read_reply();
  EXPECT_EQ(answers[1], std::vector<std::string>{"10.0.0.4"});
  EXPECT_EQ(answers[2], std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(answers[3].size(), 2u);
}

TEST_F(ServerTest, StopClosesTheSockets) {
  server_->Stop(registration_);
  Result<std::vector<uint8_t>> udp =
      ExchangeUdp(kLoopback, registration_.udp_port, MakeQuery(1, "db", kTypeA));
  ASSERT_FALSE(udp);
  EXPECT_EQ(udp.error().sys_errno(), ECONNREFUSED);
  Result<std::vector<uint8_t>> tcp =
      ExchangeTcp(kLoopback, registration_.tcp_port, MakeQuery(1, "db", kTypeA));
  ASSERT_FALSE(tcp);
  EXPECT_EQ(tcp.error().sys_errno(), ECONNREFUSED);
}

}  // namespace
}  // namespace berth::network::dns
