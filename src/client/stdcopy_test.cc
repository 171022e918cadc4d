#include "client/stdcopy.h"

#include <gtest/gtest.h>

namespace berth::client {
namespace {

struct Collected {
  std::string out, err;
  Demuxer::Sink Sink() {
    return [this](StdStream stream, std::string_view data) -> Status {
      (stream == StdStream::kStderr ? err : out).append(data);
      return Ok();
    };
  }
};

std::string Frame(StdStream stream, std::string_view payload) {
  return FrameHeader(stream, static_cast<uint32_t>(payload.size())) + std::string(payload);
}

TEST(DemuxerTest, SplitsFramesByStream) {
  Collected c;
  Demuxer d;
  std::string wire = Frame(StdStream::kStdout, "hello\n") + Frame(StdStream::kStderr, "oops\n") +
                     Frame(StdStream::kStdout, "");
  ASSERT_TRUE(d.Feed(wire, c.Sink()));
  EXPECT_EQ(c.out, "hello\n");
  EXPECT_EQ(c.err, "oops\n");
  EXPECT_FALSE(d.InFrame());
}

TEST(DemuxerTest, AcceptsAnySplitOfTheInput) {
  std::string big(70000, 'x');
  std::string wire = Frame(StdStream::kStdout, "ab") + Frame(StdStream::kStderr, big);
  for (size_t piece : {1u, 3u, 7u, 8u, 9u, 4096u}) {
    Collected c;
    Demuxer d;
    for (size_t at = 0; at < wire.size(); at += piece) {
      ASSERT_TRUE(d.Feed(std::string_view(wire).substr(at, piece), c.Sink()));
    }
    EXPECT_EQ(c.out, "ab");
    EXPECT_EQ(c.err, big);
    EXPECT_FALSE(d.InFrame());
  }
}

TEST(DemuxerTest, TruncatedStreamIsVisible) {
  Collected c;
  Demuxer d;
  std::string wire = Frame(StdStream::kStdout, "hello");
  ASSERT_TRUE(d.Feed(wire.substr(0, wire.size() - 2), c.Sink()));
  EXPECT_TRUE(d.InFrame());
  EXPECT_EQ(c.out, "hel");
}

TEST(DemuxerTest, SystemErrorFramesAreErrors) {
  Collected c;
  Demuxer d;
  std::string wire = Frame(StdStream::kSystemErr, "container gone");
  Status fed = d.Feed(wire.substr(0, 10), c.Sink());
  ASSERT_TRUE(fed);
  fed = d.Feed(wire.substr(10), c.Sink());
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().message(), "container gone");
}

TEST(DemuxerTest, UnknownStreamIsDataLoss) {
  Collected c;
  Demuxer d;
  Status fed = d.Feed(std::string("\x07\0\0\0\0\0\0\x01x", 9), c.Sink());
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().kind(), ErrorKind::kDataLoss);
}

}  // namespace
}  // namespace berth::client
