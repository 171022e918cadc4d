#include "daemon/container/log_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/file.h"
#include "base/temp_dir.h"
#include "daemon/container/names.h"
#include "image/store/go_time.h"

namespace berth::daemon::container {
namespace {

std::string Line(const char* stream, const char* time, const char* text) {
  return fmt::format(R"({{"log":"{}\n","stream":"{}","time":"{}"}})", text, stream, time) + "\n";
}

std::vector<std::string> Read(const std::string& path, const LogQuery& query) {
  std::vector<std::string> out;
  Status read = ReadLogs(
      path, query, [] { return false; },
      [&](const LogEntry& e) {
        out.push_back(std::to_string(e.stream) + ":" + e.text);
        return Ok();
      });
  EXPECT_TRUE(read);
  return out;
}

TEST(LogReaderTest, ReadsRotatedFilesInOrderWithFilters) {
  Result<TempDir> dir = TempDir::Make("log-reader");
  ASSERT_TRUE(dir);
  const std::string path = *dir / "c-json.log";
  ASSERT_TRUE(WriteFile(path + ".2", Line("stdout", "2026-01-01T00:00:01Z", "one")));
  ASSERT_TRUE(WriteFile(path + ".1", Line("stderr", "2026-01-01T00:00:02Z", "two")));
  ASSERT_TRUE(WriteFile(path, Line("stdout", "2026-01-01T00:00:03Z", "three") + "garbage\n" +
                                  Line("stdout", "2026-01-01T00:00:04Z", "four")));
  EXPECT_EQ(Read(path, {}),
            (std::vector<std::string>{"1:one\n", "2:two\n", "1:three\n", "1:four\n"}));
  EXPECT_EQ(Read(path, {.stdout_stream = false}), std::vector<std::string>{"2:two\n"});
  EXPECT_EQ(Read(path, {.tail = 2}), (std::vector<std::string>{"1:three\n", "1:four\n"}));
  EXPECT_EQ(Read(path, {.tail = 0}), std::vector<std::string>{});
  LogQuery window;
  window.since = image::store::ParseRfc3339("2026-01-01T00:00:02Z");
  window.until = image::store::ParseRfc3339("2026-01-01T00:00:04Z");
  EXPECT_EQ(Read(path, window), (std::vector<std::string>{"2:two\n", "1:three\n"}));
  EXPECT_EQ(Read(*dir / "missing.log", {}), std::vector<std::string>{});
}

TEST(LogReaderTest, FollowSendsWhatIsAppendedUntilTheContainerStops) {
  Result<TempDir> dir = TempDir::Make("log-follow");
  ASSERT_TRUE(dir);
  const std::string path = *dir / "c-json.log";
  ASSERT_TRUE(WriteFile(path, Line("stdout", "2026-01-01T00:00:01Z", "first")));
  std::atomic<bool> running = true;
  std::atomic<size_t> sent = 0;
  std::vector<std::string> seen;  // the reader's thread only
  auto until_sent = [&](size_t n) {
    while (sent < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  std::thread writer([&] {
    // Appends once the reader has sent the first line, then rotates, appends and stops.
    until_sent(1);
    EXPECT_TRUE(WriteFile(path, Line("stdout", "2026-01-01T00:00:01Z", "first") +
                                    Line("stderr", "2026-01-01T00:00:02Z", "second")));
    until_sent(2);
    EXPECT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
    EXPECT_TRUE(WriteFile(path, Line("stdout", "2026-01-01T00:00:03Z", "third")));
    running = false;
  });
  Status read = ReadLogs(
      path, {.follow = true}, [&] { return running.load(); },
      [&](const LogEntry& e) {
        seen.push_back(e.text);
        ++sent;
        return Ok();
      });
  writer.join();
  ASSERT_TRUE(read);
  EXPECT_EQ(seen, (std::vector<std::string>{"first\n", "second\n", "third\n"}));
}

TEST(ContainerNamesTest, DockersRules) {
  EXPECT_EQ(*CheckName("web"), "/web");
  EXPECT_EQ(*CheckName("/web-1.a_b"), "/web-1.a_b");
  EXPECT_FALSE(CheckName("w"));
  EXPECT_FALSE(CheckName("-web"));
  EXPECT_FALSE(CheckName("we b"));
  Result<std::string> bad = CheckName("a/b");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("Invalid container name (a/b)"), std::string::npos);
  for (int i = 0; i < 20; ++i) {
    std::string name = GenerateName(i % 2);
    EXPECT_TRUE(CheckName(name)) << name;
  }
}

}  // namespace
}  // namespace berth::daemon::container
