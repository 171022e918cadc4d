#include "shim/exit_record.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::shim {
namespace {

TEST(ExitRecord, WrittenAndReadBack) {
  auto dir = TempDir::Make("exit-record");
  ASSERT_TRUE(dir);
  ExitRecord r{.exit_code = 137, .oom_killed = true, .finished_at = "2026-01-02T03:04:05.5Z"};
  ASSERT_TRUE(WriteExitRecord(dir->path(), r));
  EXPECT_EQ(*ReadFile(*dir / "exit.json"),
            "{\"exit_code\":137,\"finished_at\":\"2026-01-02T03:04:05.5Z\",\"oom_killed\":true}\n");
  auto back = ReadExitRecord(dir->path());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_TRUE(back->oom_killed);
  EXPECT_EQ(back->finished_at, "2026-01-02T03:04:05.5Z");
}

TEST(ExitRecord, MissingFileIsNotFound) {
  auto dir = TempDir::Make("exit-record");
  ASSERT_TRUE(dir);
  auto r = ReadExitRecord(dir->path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
}

TEST(ExitRecord, IncompleteRecordsAreRefused) {
  for (const char* text :
       {"", "[]", "{\"oom_killed\":false,\"finished_at\":\"x\"}",
        "{\"exit_code\":\"1\",\"oom_killed\":false,\"finished_at\":\"x\"}",
        "{\"exit_code\":1,\"finished_at\":\"x\"}", "{\"exit_code\":1,\"oom_killed\":false}"}) {
    auto r = ParseExitRecord(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind(), ErrorKind::kDataLoss) << text;
  }
}

}  // namespace
}  // namespace berth::shim
