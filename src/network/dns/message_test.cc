#include "network/dns/message.h"

#include <gtest/gtest.h>

#include "network/dns/testing/dns_client.h"

namespace berth::network::dns {
namespace {

using testing::MakeQuery;
using testing::ParseReply;

TEST(ParseQueryTest, ReadsTheQuestion) {
  std::vector<uint8_t> m = MakeQuery(0x1234, "Web.Example.", kTypeAaaa);
  Result<Query> query = ParseQuery(m);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->id, 0x1234);
  EXPECT_TRUE(query->recursion_desired);
  EXPECT_EQ(query->name, "Web.Example");
  EXPECT_EQ(query->type, kTypeAaaa);
  EXPECT_EQ(query->klass, kClassIn);
  EXPECT_EQ(query->udp_size, kClassicUdpSize);
  EXPECT_EQ(query->question, std::vector<uint8_t>(m.begin() + kHeaderSize, m.end()));
}

TEST(ParseQueryTest, ReadsTheRootAndEscapesOddBytes) {
  std::vector<uint8_t> m = MakeQuery(1, ".", kTypeA);
  EXPECT_EQ(ParseQuery(m)->name, "");
  std::vector<uint8_t> odd = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 0xff, 0, 0, 1, 0, 1};
  Result<Query> query = ParseQuery(odd);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->name, "a\\046\\255");
}

TEST(ParseQueryTest, FollowsCompressionPointersBackwards) {
  // "b" then a pointer to offset 6 of the header, where a zero byte ends the name.
  std::vector<uint8_t> m = {0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'b', 0xc0, 6, 0, 1, 0, 1};
  Result<Query> query = ParseQuery(m);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->name, "b");
  EXPECT_EQ(query->type, kTypeA);
  EXPECT_EQ(query->question, (std::vector<uint8_t>{1, 'b', 0, 0, 1, 0, 1}));
  // An additional record whose owner points at the question's name, then at a pointer chain.
  m = MakeQuery(8, "web.example", kTypeA);
  m[11] = 2;
  size_t second = m.size();
  m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  m.insert(m.end(),
           {3, 'w', 'w', 'w', 0xc0, static_cast<uint8_t>(second), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(ParseQuery(m)) << ParseQuery(m).error().message();
  // "b" then a pointer back to its own start: a loop.
  m = {0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'b', 0xc0, 12, 0, 1, 0, 1};
  EXPECT_EQ(ParseQuery(m).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(ParseQueryTest, ReadsTheEdnsPayloadSize) {
  std::vector<uint8_t> m = MakeQuery(9, "example", kTypeA);
  m[11] = 1;  // one additional record: OPT, root owner, payload size 4096
  m.insert(m.end(), {0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0});
  Result<Query> query = ParseQuery(m);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->udp_size, 4096u);
  EXPECT_TRUE(query->edns);
  // The reply carries an OPT record of its own, after the answers, and counts it.
  std::vector<Record> records = {{kTypeA, 600, {10, 0, 0, 2}}};
  std::vector<uint8_t> reply = EncodeReply(*query, Rcode::kNoError, records, query->udp_size);
  EXPECT_EQ(reply[11], 1);
  EXPECT_EQ(std::vector<uint8_t>(reply.end() - 11, reply.end()),
            (std::vector<uint8_t>{0, 0, 41, kServerUdpSize >> 8, kServerUdpSize & 0xff, 0, 0, 0, 0,
                                  0, 0}));
  EXPECT_EQ(ParseReply(reply)->answers.size(), 1u);
  m[m.size() - 8] = 0x01;  // payload size 256: below 512, so 512
  m[m.size() - 7] = 0x00;
  EXPECT_EQ(ParseQuery(m)->udp_size, kClassicUdpSize);
  // Two OPT records are malformed.
  m[11] = 2;
  m.insert(m.end(), {0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(ParseQuery(m).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(ParseQueryTest, RefusesWhatIsNoQuery) {
  std::vector<uint8_t> m = MakeQuery(1, "a", kTypeA);
  EXPECT_EQ(ParseQuery(std::span(m.data(), 11)).error().kind(), ErrorKind::kFailedPrecondition);
  m[2] |= 0x80;  // a response
  EXPECT_EQ(ParseQuery(m).error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_FALSE(ErrorReply(m, Rcode::kFormErr));
}

TEST(ParseQueryTest, SaysWhatIsMalformed) {
  std::vector<uint8_t> good = MakeQuery(1, "abc", kTypeA);
  auto kind_of = [](std::vector<uint8_t> m) { return ParseQuery(m).error().kind(); };
  std::vector<uint8_t> m = good;
  m[5] = 2;  // two questions
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = good;
  m[5] = 0;
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = good;
  m[2] |= 0x10;  // opcode 2, STATUS
  EXPECT_EQ(kind_of(m), ErrorKind::kNotImplemented);
  m.assign(good.begin(), good.end() - 2);  // the class cut off
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = good;
  m[12] = 60;  // a label longer than the message
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = good;
  m[12] = 0x40;  // the reserved label type
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};  // a pointer to itself
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x20, 0, 1, 0, 1};  // a pointer forwards
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};  // a name over 255 bytes
  for (int i = 0; i < 5; ++i) {
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  m.insert(m.end(), {0, 0, 1, 0, 1});
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
  m = good;
  m[11] = 1;  // an additional record that is not there
  EXPECT_EQ(kind_of(m), ErrorKind::kInvalidArgument);
}

TEST(EncodeReplyTest, AnswersWithPointersToTheQuestion) {
  Query query = ParseQuery(MakeQuery(77, "web", kTypeA)).value();
  std::vector<Record> records = {{kTypeA, 600, {10, 0, 0, 2}}, {kTypeA, 600, {10, 0, 0, 3}}};
  std::vector<uint8_t> reply = EncodeReply(query, Rcode::kNoError, records, kClassicUdpSize);
  testing::Reply parsed = ParseReply(reply).value();
  EXPECT_EQ(parsed.id, 77);
  EXPECT_EQ(parsed.rcode, Rcode::kNoError);
  EXPECT_TRUE(parsed.authoritative);
  EXPECT_FALSE(parsed.truncated);
  EXPECT_EQ(parsed.questions, 1);
  EXPECT_EQ(testing::AnswerAddresses(parsed), (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(parsed.answers[0].ttl, 600u);
  // The first answer's owner is a pointer to offset 12.
  size_t answer_at = kHeaderSize + query.question.size();
  EXPECT_EQ(reply[answer_at], 0xc0);
  EXPECT_EQ(reply[answer_at + 1], 12);
}

TEST(EncodeReplyTest, TruncatesWhatDoesNotFit) {
  Query query = ParseQuery(MakeQuery(5, "many", kTypeA)).value();
  std::vector<Record> records(40, Record{kTypeA, 600, {10, 0, 0, 9}});
  std::vector<uint8_t> reply = EncodeReply(query, Rcode::kNoError, records, kClassicUdpSize);
  EXPECT_LE(reply.size(), kClassicUdpSize);
  testing::Reply parsed = ParseReply(reply).value();
  EXPECT_TRUE(parsed.truncated);
  EXPECT_EQ(parsed.answers.size(), (kClassicUdpSize - kHeaderSize - query.question.size()) / 16);
}

TEST(ErrorReplyTest, EchoesIdOpcodeAndRecursionDesired) {
  std::vector<uint8_t> m = MakeQuery(0xbeef, "a", kTypeA);
  m[2] |= 0x10;
  std::vector<uint8_t> reply = ErrorReply(m, Rcode::kNotImp).value();
  ASSERT_EQ(reply.size(), kHeaderSize);
  EXPECT_EQ(MessageId(reply), 0xbeef);
  EXPECT_TRUE(IsResponse(reply));
  EXPECT_EQ(reply[2] & 0x78, 0x10);
  EXPECT_EQ(reply[2] & 0x01, 0x01);
  EXPECT_EQ(reply[3] & 0x0f, static_cast<int>(Rcode::kNotImp));
}

TEST(EncodeNameTest, WritesLabelsAndRefusesBadOnes) {
  EXPECT_EQ(EncodeName("ab.c.").value(), (std::vector<uint8_t>{2, 'a', 'b', 1, 'c', 0}));
  EXPECT_EQ(EncodeName("").value(), std::vector<uint8_t>{0});
  EXPECT_EQ(EncodeName("a..b").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(EncodeName(std::string(64, 'x')).error().kind(), ErrorKind::kInvalidArgument);
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'x') + ".";
  EXPECT_EQ(EncodeName(long_name).error().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace berth::network::dns
