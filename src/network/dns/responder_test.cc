#include "network/dns/responder.h"

#include <gtest/gtest.h>

#include <map>

#include "network/dns/testing/dns_client.h"

namespace berth::network::dns {
namespace {

using testing::AnswerAddresses;
using testing::MakeQuery;
using testing::ParseReply;

// The names of a network with "web" (two containers sharing an alias), "db" (IPv4 and IPv6)
// and "solo".
Lookup NetworkLookup() {
  static const std::map<std::string, std::vector<std::string>> names = {
      {"web", {"10.0.0.2", "10.0.0.3"}},
      {"db", {"10.0.0.4", "fd00::4"}},
      {"solo", {"10.0.0.5"}},
  };
  Lookup lookup;
  lookup.addresses = [](std::string_view name) {
    std::vector<IpAddress> out;
    if (auto it = names.find(std::string(name)); it != names.end()) {
      for (const std::string& text : it->second) out.push_back(IpAddress::Parse(text).value());
    }
    return out;
  };
  lookup.name = [](const IpAddress& address) -> std::string {
    return address == IpAddress::V4(10, 0, 0, 5) ? "solo.mynet" : "";
  };
  return lookup;
}

testing::Reply Ask(Responder& responder, std::string_view name, uint16_t type) {
  Answer answer = responder.Respond(MakeQuery(42, name, type), /*over_tcp=*/false);
  EXPECT_EQ(answer.action, Answer::Action::kReply) << name;
  return ParseReply(answer.reply).value();
}

TEST(ResponderTest, AnswersKnownNamesWithDockersTtl) {
  Responder responder(NetworkLookup(), {});
  testing::Reply reply = Ask(responder, "solo", kTypeA);
  EXPECT_EQ(reply.id, 42);
  EXPECT_EQ(reply.rcode, Rcode::kNoError);
  EXPECT_EQ(AnswerAddresses(reply), std::vector<std::string>{"10.0.0.5"});
  EXPECT_EQ(reply.answers[0].ttl, kLocalTtlSeconds);
  EXPECT_EQ(AnswerAddresses(Ask(responder, "db", kTypeAaaa)), std::vector<std::string>{"fd00::4"});
}

TEST(ResponderTest, MatchesCaseTrailingDotAndSearchDomain) {
  Responder responder(NetworkLookup(), {"Corp.Example.", "example", "lab.example"});
  for (std::string_view name :
       {"SOLO", "solo.", "solo.corp.example", "Solo.CORP.example.", "solo.lab.example"}) {
    EXPECT_EQ(AnswerAddresses(Ask(responder, name, kTypeA)), std::vector<std::string>{"10.0.0.5"})
        << name;
  }
  // A name that only ends like the search domain is not stripped.
  Answer answer = responder.Respond(MakeQuery(1, "solocorp.example", kTypeA), false);
  EXPECT_EQ(answer.action, Answer::Action::kForward);
}

TEST(ResponderTest, RotatesSeveralAddresses) {
  Responder responder(NetworkLookup(), {});
  std::vector<std::string> first = AnswerAddresses(Ask(responder, "web", kTypeA));
  std::vector<std::string> second = AnswerAddresses(Ask(responder, "web", kTypeA));
  std::vector<std::string> third = AnswerAddresses(Ask(responder, "web", kTypeA));
  EXPECT_EQ(first, (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(second, (std::vector<std::string>{"10.0.0.3", "10.0.0.2"}));
  EXPECT_EQ(third, first);
}

TEST(ResponderTest, KnownNameOfTheOtherTypeHasNoAnswers) {
  Responder responder(NetworkLookup(), {});
  for (uint16_t type : {kTypeAaaa, uint16_t{16} /* TXT */}) {
    testing::Reply reply = Ask(responder, "solo", type);
    EXPECT_EQ(reply.rcode, Rcode::kNoError);
    EXPECT_TRUE(reply.answers.empty());
  }
}

TEST(ResponderTest, ForwardsUnknownNames) {
  Responder responder(NetworkLookup(), {});
  for (std::string_view name : {"example.org", "web.example.org", "5.0.0.10.in-addr.arpa.x"}) {
    Answer answer = responder.Respond(MakeQuery(9, name, kTypeA), false);
    EXPECT_EQ(answer.action, Answer::Action::kForward) << name;
    EXPECT_EQ(answer.query.id, 9);
  }
  // Another class than IN is not the networks' either.
  std::vector<uint8_t> chaos = MakeQuery(9, "web", kTypeA);
  chaos.back() = 3;
  EXPECT_EQ(responder.Respond(chaos, false).action, Answer::Action::kForward);
}

TEST(ResponderTest, AnswersPointerQueriesOfContainerAddresses) {
  Responder responder(NetworkLookup(), {});
  testing::Reply reply = Ask(responder, "5.0.0.10.in-addr.arpa", kTypePtr);
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].type, kTypePtr);
  EXPECT_EQ(reply.answers[0].data, EncodeName("solo.mynet").value());
  Answer other = responder.Respond(MakeQuery(1, "6.0.0.10.in-addr.arpa", kTypePtr), false);
  EXPECT_EQ(other.action, Answer::Action::kForward);
}

TEST(ResponderTest, ReverseNamesParseOnlyWholeAddresses) {
  EXPECT_EQ(ReverseName("4.3.2.1.in-addr.arpa"), IpAddress::V4(1, 2, 3, 4));
  EXPECT_EQ(ReverseName("4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"),
            IpAddress::Parse("fd00::4").value());
  for (std::string_view bad :
       {"3.2.1.in-addr.arpa", "5.4.3.2.1.in-addr.arpa", "256.3.2.1.in-addr.arpa",
        "04.3.2.1.in-addr.arpa", "x.3.2.1.in-addr.arpa", ".3.2.1.in-addr.arpa", "0.ip6.arpa"}) {
    EXPECT_FALSE(ReverseName(bad)) << bad;
  }
}

TEST(ResponderTest, AnswersMalformedQueriesAndDropsReplies) {
  Responder responder(NetworkLookup(), {});
  std::vector<uint8_t> m = MakeQuery(3, "web", kTypeA);
  m[5] = 2;
  Answer answer = responder.Respond(m, false);
  ASSERT_EQ(answer.action, Answer::Action::kReply);
  EXPECT_EQ(ParseReply(answer.reply)->rcode, Rcode::kFormErr);
  m[2] |= 0x80;
  EXPECT_EQ(responder.Respond(m, false).action, Answer::Action::kDrop);
  EXPECT_EQ(responder.Respond(std::vector<uint8_t>{1, 2, 3}, false).action, Answer::Action::kDrop);
}

}  // namespace
}  // namespace berth::network::dns
