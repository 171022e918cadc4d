#include "volume/volumes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::volume {
namespace {

// Volumes over a temporary root whose mount and unmount record what they were asked to do.
class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir = TempDir::Make("volumes-test");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    Reopen();
  }
  void Reopen() {
    volumes_.reset();
    Result<std::unique_ptr<Volumes>> v = Volumes::Open(Options());
    ASSERT_TRUE(v) << v.error().message();
    volumes_ = std::move(*v);
  }
  VolumesOptions Options() {
    return {.root = *dir_ / "volumes",
            .mount =
                [this](const FilesystemMount& fs, const std::string& target) {
                  mounts_.push_back(fs.type + " " + target);
                  return Ok();
                },
            .unmount =
                [this](const std::string& target) {
                  unmounts_.push_back(target);
                  return Ok();
                }};
  }
  std::optional<TempDir> dir_;
  std::unique_ptr<Volumes> volumes_;
  std::vector<std::string> mounts_;
  std::vector<std::string> unmounts_;
};

TEST_F(VolumesTest, CreateKeepsVolumesAcrossOpen) {
  Result<Volume> v = volumes_->Create("data", "local", {}, {{"team", "a"}});
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->mountpoint, *dir_ / "volumes/data/_data");
  struct stat st {};
  ASSERT_EQ(stat(v->mountpoint.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_TRUE(WriteFile(v->mountpoint + "/f", "kept"));
  Reopen();
  Result<VolumeView> back = volumes_->Get("data");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->volume.labels.at("team"), "a");
  EXPECT_EQ(back->volume.created_at, v->created_at);
  EXPECT_EQ(*ReadFile(back->volume.mountpoint + "/f"), "kept");
}

TEST_F(VolumesTest, CreatingAnExistingNameReturnsIt) {
  ASSERT_TRUE(volumes_->Create("data", "", {}, {{"v", "1"}}));
  Result<Volume> again = volumes_->Create("data", "", {}, {{"v", "2"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->labels.at("v"), "1");
  EXPECT_EQ(volumes_->List().size(), 1u);
}

TEST_F(VolumesTest, AnonymousVolumesAreLabelled) {
  Result<Volume> v = volumes_->Create("", "local", {}, {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->name.size(), 64u);
  EXPECT_TRUE(v->Anonymous());
}

TEST_F(VolumesTest, BadInputCreatesNothing) {
  EXPECT_EQ(volumes_->Create("x@", "", {}, {}).error().kind(), ErrorKind::kInvalidArgument);
  Result<Volume> bad_option = volumes_->Create("data", "", {{"bogus", "1"}}, {});
  ASSERT_FALSE(bad_option);
  EXPECT_EQ(bad_option.error().message(), "create data: invalid option: \"bogus\"");
  EXPECT_EQ(volumes_->Create("data", "nfs-plugin", {}, {}).error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(volumes_->List().empty());
  struct stat st {};
  EXPECT_NE(stat((*dir_ / "volumes/data").c_str(), &st), 0);
}

TEST_F(VolumesTest, InUseVolumesAreNotRemoved) {
  ASSERT_TRUE(volumes_->Create("data", "", {}, {}));
  ASSERT_TRUE(volumes_->Reference("data", "c1"));
  ASSERT_TRUE(volumes_->Reference("data", "c2"));
  Status busy = volumes_->Remove("data", true);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(busy.error().message(), "remove data: volume is in use - [c1, c2]");
  volumes_->Dereference("data", "c1");
  volumes_->Dereference("data", "c2");
  ASSERT_TRUE(volumes_->Remove("data", false));
  EXPECT_EQ(volumes_->Get("data").error().message(), "get data: no such volume");
  EXPECT_EQ(volumes_->Remove("data", false).error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(volumes_->Remove("data", true));
  struct stat st {};
  EXPECT_NE(stat((*dir_ / "volumes/data").c_str(), &st), 0);
}

TEST_F(VolumesTest, OpenDropsAnIncompleteVolume) {
  ASSERT_TRUE(MakeDirs(*dir_ / "volumes/half/_data"));
  Reopen();
  EXPECT_FALSE(volumes_->Get("half"));
  struct stat st {};
  EXPECT_NE(stat((*dir_ / "volumes/half").c_str(), &st), 0);
}

TEST_F(VolumesTest, FilesystemMountedForTheFirstUserUnmountedAfterTheLast) {
  ASSERT_TRUE(volumes_->Create("fs", "", {{"type", "tmpfs"}, {"device", "tmpfs"}}, {}));
  ASSERT_TRUE(volumes_->Create("plain", "", {}, {}));
  const std::string data = *dir_ / "volumes/fs/_data";
  ASSERT_TRUE(volumes_->Activate("fs", "c1"));
  ASSERT_TRUE(volumes_->Activate("fs", "c2"));
  ASSERT_TRUE(volumes_->Activate("plain", "c1"));
  EXPECT_EQ(mounts_, std::vector<std::string>{"tmpfs " + data});
  volumes_->Deactivate("fs", "c1");
  EXPECT_TRUE(unmounts_.empty());
  volumes_->Deactivate("fs", "c2");
  volumes_->Deactivate("plain", "c1");
  EXPECT_EQ(unmounts_, std::vector<std::string>{data});
}

}  // namespace
}  // namespace berth::volume
