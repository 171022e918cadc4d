#include "image/snapshot/tree.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "base/file.h"
#include "image/snapshot/mount.h"
#include "sys/mount.h"

namespace berth::image::snapshot {
namespace {

constexpr struct timespec kPast = {.tv_sec = 1000000000, .tv_nsec = 123456789};

class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "copying owners and device nodes needs root";
    char tmpl[] = "/tmp/berth-snapshot-tree-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    from_ = dir_ + "/from";
    to_ = dir_ + "/to";
    ASSERT_EQ(mkdir(from_.c_str(), 0750), 0);
    ASSERT_EQ(mkdir(to_.c_str(), 0700), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      ASSERT_TRUE(RemoveTree(dir_));
    }
  }

  static struct stat Lstat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st;
  }

  static void SetTimes(const std::string& path) {
    const struct timespec times[2] = {kPast, kPast};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
  }

  // Populate builds a tree with one of every kind of entry and attribute CopyTree keeps.
  void Populate() {
    const std::string big(3 << 20, 'x');
    ASSERT_TRUE(WriteFile(from_ + "/big", big, 0644));
    ASSERT_TRUE(WriteFile(from_ + "/suid", "#!/bin/sh\n", 0755));
    ASSERT_EQ(chown((from_ + "/suid").c_str(), 1000, 1001), 0);
    ASSERT_EQ(chmod((from_ + "/suid").c_str(), 04755), 0);
    ASSERT_EQ(setxattr((from_ + "/suid").c_str(), "user.note", "kept", 4, 0), 0);
    ASSERT_EQ(mkdir((from_ + "/shared").c_str(), 0755), 0);
    ASSERT_EQ(chmod((from_ + "/shared").c_str(), 03775), 0);
    ASSERT_TRUE(WriteFile(from_ + "/shared/a", "linked", 0600));
    ASSERT_EQ(link((from_ + "/shared/a").c_str(), (from_ + "/b").c_str()), 0);
    ASSERT_EQ(symlink("/nowhere/at/all", (from_ + "/shared/dangling").c_str()), 0);
    ASSERT_EQ(lchown((from_ + "/shared/dangling").c_str(), 1002, 1003), 0);
    ASSERT_EQ(lsetxattr((from_ + "/shared/dangling").c_str(), "trusted.mark", "t", 1, 0), 0);
    ASSERT_EQ(mknod((from_ + "/null").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
    ASSERT_EQ(chmod((from_ + "/null").c_str(), 0666), 0);
    ASSERT_EQ(mknod((from_ + "/fifo").c_str(), S_IFIFO | 0600, 0), 0);
    ASSERT_EQ(chmod((from_ + "/fifo").c_str(), 0640), 0);
    for (const char* p : {"/big", "/suid", "/b", "/shared/dangling", "/null", "/fifo", "/shared"}) {
      SetTimes(from_ + p);
    }
    ASSERT_EQ(chown(from_.c_str(), 5, 6), 0);
    SetTimes(from_);
  }

  std::string dir_;
  std::string from_;
  std::string to_;
};

TEST_F(TreeTest, CopyKeepsContentTypesOwnersModesXattrsAndTimes) {
  Populate();
  ASSERT_TRUE(CopyTree(from_, to_));

  EXPECT_EQ(ReadFile(to_ + "/big").value_or(""), std::string(3 << 20, 'x'));
  struct stat suid = Lstat(to_ + "/suid");
  EXPECT_EQ(suid.st_mode & 07777, 04755u);
  EXPECT_EQ(suid.st_uid, 1000u);
  EXPECT_EQ(suid.st_gid, 1001u);
  char note[8] = {};
  EXPECT_EQ(getxattr((to_ + "/suid").c_str(), "user.note", note, sizeof(note)), 4);
  EXPECT_STREQ(note, "kept");
  EXPECT_EQ(suid.st_mtim.tv_sec, kPast.tv_sec);
  EXPECT_EQ(suid.st_mtim.tv_nsec, kPast.tv_nsec);

  struct stat shared = Lstat(to_ + "/shared");
  EXPECT_TRUE(S_ISDIR(shared.st_mode));
  EXPECT_EQ(shared.st_mode & 07777, 03775u);
  EXPECT_EQ(shared.st_mtim.tv_sec, kPast.tv_sec) << "a directory's time is set after its entries";

  struct stat a = Lstat(to_ + "/shared/a");
  struct stat b = Lstat(to_ + "/b");
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  EXPECT_NE(a.st_ino, Lstat(from_ + "/b").st_ino);

  struct stat link = Lstat(to_ + "/shared/dangling");
  ASSERT_TRUE(S_ISLNK(link.st_mode));
  EXPECT_EQ(link.st_uid, 1002u);
  EXPECT_EQ(link.st_gid, 1003u);
  char target[64] = {};
  EXPECT_EQ(readlink((to_ + "/shared/dangling").c_str(), target, sizeof(target) - 1), 15);
  EXPECT_STREQ(target, "/nowhere/at/all");
  char mark[4] = {};
  EXPECT_EQ(lgetxattr((to_ + "/shared/dangling").c_str(), "trusted.mark", mark, sizeof(mark)), 1);

  struct stat null = Lstat(to_ + "/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  struct stat fifo = Lstat(to_ + "/fifo");
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  EXPECT_EQ(fifo.st_mode & 07777, 0640u);

  struct stat root = Lstat(to_);
  EXPECT_EQ(root.st_mode & 07777, 0750u);
  EXPECT_EQ(root.st_uid, 5u);
  EXPECT_EQ(root.st_gid, 6u);
  EXPECT_EQ(root.st_mtim.tv_sec, kPast.tv_sec);
}

TEST_F(TreeTest, CopyDoesNotFollowSymlinksOutOfTheTree) {
  ASSERT_TRUE(WriteFile(dir_ + "/outside", "secret"));
  ASSERT_EQ(symlink((dir_ + "/outside").c_str(), (from_ + "/escape").c_str()), 0);
  ASSERT_TRUE(CopyTree(from_, to_));
  EXPECT_TRUE(S_ISLNK(Lstat(to_ + "/escape").st_mode));
}

TEST_F(TreeTest, MeasureCountsHardLinkedInodesOnce) {
  ASSERT_TRUE(WriteFile(from_ + "/f", std::string(1 << 20, 'y')));
  Result<DiskUsage> one = MeasureTree(from_);
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(one->inodes, 2);
  EXPECT_GE(one->bytes, 1 << 20);
  ASSERT_EQ(link((from_ + "/f").c_str(), (from_ + "/g").c_str()), 0);
  Result<DiskUsage> linked = MeasureTree(from_);
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->inodes, one->inodes);
  EXPECT_EQ(linked->bytes, one->bytes);
}

TEST_F(TreeTest, RemoveDetachesMountsInsteadOfDeletingThroughThem) {
  const std::string outside = dir_ + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(outside + "/precious", "keep me"));
  const std::string mnt = from_ + "/deep/mnt";
  ASSERT_TRUE(MakeDirs(mnt));
  ASSERT_TRUE(sys::Mount(outside, mnt, "", MS_BIND));
  ASSERT_TRUE(RemoveTree(from_));
  EXPECT_NE(access(from_.c_str(), F_OK), 0);
  EXPECT_EQ(ReadFile(outside + "/precious").value_or(""), "keep me");
  EXPECT_TRUE(RemoveTree(from_)) << "a missing tree is not an error";
}

}  // namespace
}  // namespace berth::image::snapshot
