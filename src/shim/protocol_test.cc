#include "shim/protocol.h"

#include <gtest/gtest.h>

namespace berth::shim {
namespace {

TEST(Frame, HeaderIsDockersStreamByteAndBigEndianLength) {
  std::string payload(0x010203, 'x');
  std::string f = EncodeFrame(Stream::kStderr, payload);
  ASSERT_EQ(f.size(), kFrameHeaderSize + payload.size());
  EXPECT_EQ(f.substr(0, 8), std::string("\x02\x00\x00\x00\x00\x01\x02\x03", 8));
  EXPECT_EQ(EncodeFrame(Stream::kStdout, "hi"), std::string("\x01\0\0\0\0\0\0\x02hi", 10));
}

TEST(FrameReader, ReassemblesFramesSplitAnywhere) {
  std::string wire = EncodeFrame(Stream::kStdout, "hello") + EncodeFrame(Stream::kStderr, "") +
                     EncodeFrame(Stream::kExit, EncodeExitPayload(3));
  FrameReader r;
  std::vector<Frame> frames;
  for (char ch : wire) {
    r.Feed(std::string_view(&ch, 1));
    while (true) {
      auto f = r.Next();
      ASSERT_TRUE(f) << f.error().message();
      if (!*f) break;
      frames.push_back(std::move(**f));
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].stream, Stream::kStdout);
  EXPECT_EQ(frames[0].payload, "hello");
  EXPECT_EQ(frames[1].stream, Stream::kStderr);
  EXPECT_EQ(frames[1].payload, "");
  EXPECT_EQ(frames[2].stream, Stream::kExit);
  EXPECT_EQ(*ParseExitPayload(frames[2].payload), 3);
  EXPECT_EQ(r.Buffered(), 0u);
}

TEST(FrameReader, RefusesUnknownStreamAndPadding) {
  for (std::string header :
       {std::string("\x03\0\0\0\0\0\0\0", 8), std::string("\x01\0\x01\0\0\0\0\0", 8),
        std::string("\x01\0\0\0\x7f\0\0\0", 8)}) {
    FrameReader r;
    r.Feed(header);
    auto f = r.Next();
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().kind(), ErrorKind::kDataLoss);
  }
}

TEST(ExitPayload, MustHoldAnExitCode) {
  EXPECT_EQ(EncodeExitPayload(137), "{\"exit_code\":137}");
  EXPECT_FALSE(ParseExitPayload("{}"));
  EXPECT_FALSE(ParseExitPayload("nope"));
  EXPECT_FALSE(ParseExitPayload("{\"exit_code\":\"1\"}"));
}

TEST(ParseRequest, ReadsEveryOp) {
  EXPECT_TRUE(std::holds_alternative<StartRequest>(*ParseRequest(R"({"op":"start"})")));
  EXPECT_TRUE(std::holds_alternative<PauseRequest>(*ParseRequest(R"({"op":"pause"})")));
  EXPECT_TRUE(std::holds_alternative<ResumeRequest>(*ParseRequest(R"({"op":"resume"})")));
  EXPECT_TRUE(std::holds_alternative<PidsRequest>(*ParseRequest(R"({"op":"pids"})")));
  auto attach = std::get<AttachRequest>(
      *ParseRequest(R"({"op":"attach","stdin":true,"stdout":true,"stderr":false})"));
  EXPECT_TRUE(attach.use_stdin);
  EXPECT_TRUE(attach.use_stdout);
  EXPECT_FALSE(attach.use_stderr);
  auto resize = std::get<ResizeRequest>(*ParseRequest(R"({"op":"resize","height":24,"width":80})"));
  EXPECT_EQ(resize.height, 24);
  EXPECT_EQ(resize.width, 80);
  EXPECT_FALSE(resize.exec_pid);
  resize = std::get<ResizeRequest>(
      *ParseRequest(R"({"op":"resize","exec_pid":42,"height":1,"width":2})"));
  EXPECT_EQ(resize.exec_pid, 42);
  auto kill = std::get<KillRequest>(*ParseRequest(R"({"op":"kill","signal":9,"all":true})"));
  EXPECT_EQ(kill.signal, 9);
  EXPECT_TRUE(kill.all);
  auto exec = std::get<ExecRequest>(
      *ParseRequest(R"({"op":"exec","process":{"args":["ls"],"cwd":"/"},"stdin":true})"));
  EXPECT_EQ(exec.process["args"][0], "ls");
  EXPECT_TRUE(exec.use_stdin);
}

TEST(ParseRequest, ErrorsNameWhatIsWrong) {
  struct Case {
    const char* line;
    const char* message;
  };
  for (const auto& [line, message] : {
           Case{"", "request is not valid JSON"},
           Case{"{\"op\":", "request is not valid JSON"},
           Case{"[1]", "request must be a JSON object"},
           Case{"{}", "request has no \"op\""},
           Case{"{\"op\":1}", "\"op\" must be a string"},
           Case{"{\"op\":\"frobnicate\"}", "op frobnicate: unknown op \"frobnicate\""},
           Case{"{\"op\":\"kill\"}", "op kill: \"signal\" is missing"},
           Case{"{\"op\":\"kill\",\"signal\":0}",
                "op kill: \"signal\" must be between 1 and 64, got 0"},
           Case{"{\"op\":\"kill\",\"signal\":\"KILL\"}", "op kill: \"signal\" must be an integer"},
           Case{"{\"op\":\"attach\",\"stdin\":1}", "op attach: \"stdin\" must be a boolean"},
           Case{"{\"op\":\"resize\",\"height\":70000,\"width\":1}",
                "op resize: \"height\" must be between 0 and 65535, got 70000"},
           Case{"{\"op\":\"exec\"}", "op exec: \"process\" is missing"},
           Case{"{\"op\":\"exec\",\"process\":[]}", "op exec: \"process\" must be an object"},
       }) {
    auto r = ParseRequest(line);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << line;
    EXPECT_EQ(r.error().message(), message) << line;
  }
}

TEST(EncodeRequest, RoundTripsThroughParseRequest) {
  std::vector<Request> requests = {
      StartRequest{},
      AttachRequest{.use_stdin = true, .use_stdout = true, .use_stderr = true},
      ResizeRequest{.exec_pid = 7, .height = 50, .width = 132},
      KillRequest{.signal = 15, .all = true},
      PauseRequest{},
      ResumeRequest{},
      PidsRequest{},
      ExecRequest{.process = {{"args", {"sh"}}, {"terminal", true}}, .use_stdin = true},
  };
  for (const auto& request : requests) {
    std::string line = EncodeRequest(request);
    ASSERT_TRUE(line.ends_with("\n"));
    ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
    auto parsed = ParseRequest(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->index(), request.index());
    EXPECT_EQ(EncodeRequest(*parsed), line);
  }
}

TEST(Answer, OkCarriesFieldsAndErrorBecomesAnError) {
  std::string ok = EncodeOk({{"pid", 12}});
  EXPECT_EQ(ok, "{\"ok\":true,\"pid\":12}\n");
  auto fields = ParseAnswer(ok);
  ASSERT_TRUE(fields);
  EXPECT_EQ((*fields)["pid"], 12);
  std::string err = EncodeError("start: already started");
  EXPECT_EQ(err, "{\"error\":\"start: already started\"}\n");
  auto failed = ParseAnswer(err);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message(), "start: already started");
  EXPECT_EQ(ParseAnswer("{}").error().kind(), ErrorKind::kDataLoss);
  EXPECT_EQ(ParseAnswer("garbage").error().kind(), ErrorKind::kDataLoss);
  // Invalid UTF-8 in a message (a path, say) still makes a valid line.
  EXPECT_EQ(EncodeError("bad \xff"), "{\"error\":\"bad \xef\xbf\xbd\"}\n");
}

}  // namespace
}  // namespace berth::shim
