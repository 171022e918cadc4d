#include "shim/json_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/strings.h"
#include "base/temp_dir.h"

namespace berth::shim {
namespace {

using std::chrono::system_clock;

system_clock::time_point At() {
  using namespace std::chrono;
  return system_clock::time_point(sys_days(year(2026) / 1 / 2) + hours(3) + minutes(4) +
                                  seconds(5) + nanoseconds(120000000));
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

TEST(EncodeLogEntry, IsDockersLine) {
  EXPECT_EQ(EncodeLogEntry("hello\n", LogStream::kStdout, At()),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-02T03:04:05.12Z\"}\n");
  EXPECT_EQ(EncodeLogEntry("x", LogStream::kStderr, At()),
            "{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"2026-01-02T03:04:05.12Z\"}\n");
}

TEST(EncodeLogEntry, EscapesAsDockersJsonlog) {
  auto log_of = [](std::string_view text) {
    std::string line = EncodeLogEntry(text, LogStream::kStdout, At());
    return line.substr(7, line.find(",\"stream\"") - 7);
  };
  EXPECT_EQ(log_of("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(log_of("\t\r\n\x01\x7f"), R"("\u0009\r\n\u0001)"
                                      "\x7f\"");
  EXPECT_EQ(log_of("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(log_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"");
  // Invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong form, a
  // surrogate) becomes U+FFFD, one per byte, as Go's utf8.DecodeRune reads it.
  EXPECT_EQ(log_of("\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80"),
            R"("\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd")");
  EXPECT_EQ(log_of("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
}

class JsonLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Make("json-log");
    ASSERT_TRUE(d);
    dir_.emplace(std::move(*d));
  }
  std::string Path() const { return *dir_ / "c.log"; }
  std::vector<std::string> Lines(const std::string& path) const {
    auto text = ReadFile(path);
    EXPECT_TRUE(text) << path;
    auto lines = Split(text.value_or(""), '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }
  std::string Entry(std::string_view text, LogStream s = LogStream::kStdout) const {
    std::string e = EncodeLogEntry(text, s, At());
    e.pop_back();
    return e;
  }
  std::optional<TempDir> dir_;
};

TEST_F(JsonLogTest, LinesAreCutAtNewlinesPerStream) {
  auto w = JsonLogWriter::Open({.path = Path()});
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE(w->Write(LogStream::kStdout, "one\ntw", At()));
  ASSERT_TRUE(w->Write(LogStream::kStderr, "err", At()));
  ASSERT_TRUE(w->Write(LogStream::kStdout, "o\nthree\n\n", At()));
  ASSERT_TRUE(w->Write(LogStream::kStderr, "or\n", At()));
  ASSERT_TRUE(w->Write(LogStream::kStdout, "no newline", At()));
  EXPECT_EQ(Lines(Path()),
            (std::vector<std::string>{Entry("one\n"), Entry("two\n"), Entry("three\n"), Entry("\n"),
                                      Entry("error\n", LogStream::kStderr)}));
  ASSERT_TRUE(w->Finish(LogStream::kStdout, At()));
  ASSERT_TRUE(w->Finish(LogStream::kStderr, At()));
  EXPECT_EQ(Lines(Path()).back(), Entry("no newline"));
  EXPECT_EQ(Lines(Path()).size(), 6u);
}

TEST_F(JsonLogTest, LongLinesAreWrittenIn16KiBParts) {
  auto w = JsonLogWriter::Open({.path = Path()});
  ASSERT_TRUE(w);
  std::string a(kMaxLogLine - 1, 'a');  // with its newline exactly 16 KiB: one entry
  std::string b(kMaxLogLine + 10, 'b');
  ASSERT_TRUE(w->Write(LogStream::kStdout, a + "\n", At()));
  ASSERT_TRUE(w->Write(LogStream::kStdout, b.substr(0, 100), At()));
  ASSERT_TRUE(w->Write(LogStream::kStdout, b.substr(100) + "\n", At()));
  EXPECT_EQ(Lines(Path()),
            (std::vector<std::string>{Entry(a + "\n"), Entry(std::string(kMaxLogLine, 'b')),
                                      Entry(std::string(10, 'b') + "\n")}));
}

TEST_F(JsonLogTest, AppendsToAnExistingFileAndCountsItsSize) {
  ASSERT_TRUE(WriteFile(Path(), std::string(100, '#') + "\n"));
  auto w = JsonLogWriter::Open({.path = Path(), .max_size = 50, .max_files = 2});
  ASSERT_TRUE(w);
  // The file is over the size already: the first entry rotates it.
  ASSERT_TRUE(w->Write(LogStream::kStdout, "x\n", At()));
  EXPECT_EQ(Lines(Path()), std::vector<std::string>{Entry("x\n")});
  EXPECT_EQ(Lines(Path() + ".1"), std::vector<std::string>{std::string(100, '#')});
}

TEST_F(JsonLogTest, RotatesLikeDockerKeepingMaxFiles) {
  const size_t entry_size = Entry("line 0\n").size() + 1;
  // Two entries fit before the size is reached; the third goes to a new file.
  auto w = JsonLogWriter::Open({.path = Path(), .max_size = 2 * entry_size, .max_files = 3});
  ASSERT_TRUE(w);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(w->Write(LogStream::kStdout, "line " + std::to_string(i) + "\n", At()));
  }
  EXPECT_EQ(Lines(Path()), (std::vector<std::string>{Entry("line 8\n")}));
  EXPECT_EQ(Lines(Path() + ".1"), (std::vector<std::string>{Entry("line 6\n"), Entry("line 7\n")}));
  EXPECT_EQ(Lines(Path() + ".2"), (std::vector<std::string>{Entry("line 4\n"), Entry("line 5\n")}));
  EXPECT_FALSE(Exists(Path() + ".3"));
}

TEST_F(JsonLogTest, OneFileIsTruncated) {
  const size_t entry_size = Entry("line 0\n").size() + 1;
  auto w = JsonLogWriter::Open({.path = Path(), .max_size = entry_size, .max_files = 1});
  ASSERT_TRUE(w);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w->Write(LogStream::kStdout, "line " + std::to_string(i) + "\n", At()));
  }
  EXPECT_EQ(Lines(Path()), (std::vector<std::string>{Entry("line 2\n")}));
  EXPECT_FALSE(Exists(Path() + ".1"));
}

TEST_F(JsonLogTest, BadOptionsAndPathsAreErrors) {
  auto w = JsonLogWriter::Open({.path = Path(), .max_files = 0});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message(), "log max-file must be at least 1");
  auto missing = JsonLogWriter::Open({.path = *dir_ / "no/such/dir/c.log"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("open " + (*dir_ / "no/such/dir/c.log")),
            std::string::npos)
      << missing.error().message();
}

}  // namespace
}  // namespace berth::shim
