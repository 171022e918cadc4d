#include "daemon/daemon.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::daemon {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = {.data_root = dir_ / "data",
                .exec_root = dir_ / "exec",
                .snapshotter = image::store::SnapshotterKind::kNative};
  }
  TempDir dir_ = TempDir::Make("berth-daemon").value();
  DaemonOptions options_;
};

TEST_F(DaemonTest, TheEngineIdIsMadeOnceAndKept) {
  std::string first_id;
  {
    Result<std::unique_ptr<Daemon>> daemon = Daemon::Open(options_);
    ASSERT_TRUE(daemon) << daemon.error().message();
    first_id = (*daemon)->id();
    EXPECT_EQ(first_id.size(), 36u) << first_id;
    // One daemon per data root.
    Result<std::unique_ptr<Daemon>> second = Daemon::Open(options_);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind(), ErrorKind::kUnavailable);
  }
  Result<std::string> on_disk = ReadFile(options_.data_root + "/engine-id");
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(*on_disk, first_id + "\n");
  Result<std::unique_ptr<Daemon>> reopened = Daemon::Open(options_);
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ((*reopened)->id(), first_id);
  EXPECT_EQ((*reopened)->images().snapshotter().name(), "native");
}

TEST(ExecFailureTextTest, SaysWhatDockerSaysWithTheRuntimesCause) {
  EXPECT_EQ(
      ExecFailureText("exec 0123abcd: exec: \"nosuchbin\": executable file not found in $PATH"),
      "OCI runtime exec failed: exec failed: unable to start container process: exec: "
      "\"nosuchbin\": executable file not found in $PATH: unknown");
  EXPECT_EQ(ExecFailureText("container is stopped"),
            "OCI runtime exec failed: exec failed: unable to start container process: container "
            "is stopped: unknown");
}

}  // namespace
}  // namespace berth::daemon
