#include "image/layer/changes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::image::layer {
namespace {

class ChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: overlay whiteouts are 0/0 device nodes";
    Result<TempDir> dir = TempDir::Make("berth-changes");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    for (const char* sub : {"lower", "upper"}) {
      ASSERT_EQ(mkdir((dir_->path() + "/" + sub).c_str(), 0755), 0);
    }
  }
  std::string L(const std::string& rel) { return dir_->path() + "/lower/" + rel; }
  std::string U(const std::string& rel) { return dir_->path() + "/upper/" + rel; }
  // SameTimes gives the upper directory the lower one's mtime, as overlay's copy-up does.
  void SameTimes(const std::string& rel) {
    struct stat st {};
    ASSERT_EQ(stat(L(rel).c_str(), &st), 0);
    const timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(utimensat(AT_FDCWD, U(rel).c_str(), times, 0), 0);
  }
  Result<std::vector<Change>> Changes(const std::set<std::string>& hidden = {}) {
    return OverlayChanges(dir_->path() + "/upper", {dir_->path() + "/lower"}, hidden);
  }

  std::optional<TempDir> dir_;
};

TEST_F(ChangesTest, ReportsAddedModifiedAndDeletedAsDockerDoes) {
  for (const char* d : {"bin", "etc", "keep", "old"}) ASSERT_EQ(mkdir(L(d).c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(L("bin/vi"), "vi"));
  ASSERT_TRUE(WriteFile(L("etc/passwd"), "root"));
  ASSERT_TRUE(WriteFile(L("old/x"), "x"));
  for (const char* d : {"bin", "etc", "keep", "new", "old"}) {
    ASSERT_EQ(mkdir(U(d).c_str(), 0755), 0);
  }
  ASSERT_EQ(mknod(U("bin/vi").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_TRUE(WriteFile(U("etc/passwd"), "root\nx"));
  ASSERT_TRUE(WriteFile(U("new/file"), "n"));
  ASSERT_EQ(setxattr(U("old").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_TRUE(WriteFile(U("old/y"), "y"));
  for (const char* d : {"bin", "etc", "keep"}) SameTimes(d);
  Result<std::vector<Change>> changes = Changes();
  ASSERT_TRUE(changes) << changes.error().message();
  EXPECT_EQ(*changes, (std::vector<Change>{{"/bin", ChangeKind::kModify},
                                           {"/bin/vi", ChangeKind::kDelete},
                                           {"/etc/passwd", ChangeKind::kModify},
                                           {"/new", ChangeKind::kAdd},
                                           {"/new/file", ChangeKind::kAdd},
                                           {"/old", ChangeKind::kDelete},
                                           {"/old/y", ChangeKind::kAdd}}));
}

TEST_F(ChangesTest, HiddenMountPointsAreNotChanges) {
  ASSERT_EQ(mkdir(L("etc").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(U("etc").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(U("etc/hosts"), ""));
  ASSERT_EQ(mkdir(U("proc").c_str(), 0555), 0);
  Result<std::vector<Change>> changes = Changes({"/etc/hosts", "/proc"});
  ASSERT_TRUE(changes) << changes.error().message();
  EXPECT_EQ(*changes, std::vector<Change>{});
  // Without them hidden, the same tree has changes.
  changes = Changes();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->size(), 3u);
}

TEST_F(ChangesTest, LowerLookupsDoNotFollowSymlinksOut) {
  ASSERT_EQ(symlink("/", L("out").c_str()), 0);
  ASSERT_EQ(mkdir(U("out").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(U("out/etc"), ""));
  Result<std::vector<Change>> changes = Changes();
  ASSERT_TRUE(changes) << changes.error().message();
  // The host's /etc is not consulted: out/etc is added.
  EXPECT_EQ(changes->back(), (Change{"/out/etc", ChangeKind::kAdd}));
}

}  // namespace
}  // namespace berth::image::layer
