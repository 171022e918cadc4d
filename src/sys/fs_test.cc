#include "sys/fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "base/file.h"

namespace berth::sys {
namespace {

// Two sibling temp dirs: root stands for a container's rootfs, outside for the host. Symlinks in
// root aim at outside; nothing may ever be created there.
class InRootTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTemp();
    outside_ = MakeTemp();
    Result<UniqueFd> fd = Open(root_, O_PATH | O_DIRECTORY);
    ASSERT_TRUE(fd) << fd.error().message();
    root_fd_ = std::move(*fd);
  }
  void TearDown() override {
    EXPECT_TRUE(IsEmpty(outside_)) << "something was created outside the root";
    (void)RemoveAll(root_);
    (void)RemoveAll(outside_);
  }

  static std::string MakeTemp() {
    std::string path = "/tmp/berth-fs-test-XXXXXX";
    EXPECT_NE(mkdtemp(path.data()), nullptr);
    return path;
  }
  static bool IsEmpty(const std::string& dir) {
    std::error_code ec;
    return std::filesystem::is_empty(dir, ec) && !ec;
  }
  void Link(const std::string& target, const std::string& name) {
    ASSERT_EQ(symlink(target.c_str(), (root_ + "/" + name).c_str()), 0) << name;
  }
  // Same reports whether fd is the file at host path.
  static bool Same(int fd, const std::string& path) {
    struct stat a {
    }, b{};
    return fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
  }

  std::string root_;
  std::string outside_;
  UniqueFd root_fd_;
};

TEST_F(InRootTest, OpenInRootKeepsAbsoluteAndDotDotSymlinksInside) {
  ASSERT_TRUE(MakeDirs(root_ + "/etc"));
  ASSERT_TRUE(WriteFile(root_ + "/etc/passwd", "inside"));
  Link("/../../../etc", "abs");
  Link("../../../../../../etc", "rel");
  for (const char* path : {"/abs/passwd", "rel/passwd", "/../../etc/passwd"}) {
    Result<UniqueFd> fd = OpenInRoot(root_fd_.get(), path, O_RDONLY);
    ASSERT_TRUE(fd) << path << ": " << fd.error().message();
    EXPECT_TRUE(Same(fd->get(), root_ + "/etc/passwd")) << path;
  }
}

TEST_F(InRootTest, OpenInRootRefusesMagicLinks) {
  Result<UniqueFd> slash = Open("/", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(slash);
  Result<UniqueFd> fd = OpenInRoot(slash->get(), "/proc/self/exe", O_PATH);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().sys_errno(), ELOOP);
  EXPECT_EQ(fd.error().message().rfind("openat2 /proc/self/exe: ", 0), 0u);
}

TEST_F(InRootTest, MkdirAllCreatesMissingComponents) {
  Result<UniqueFd> fd = MkdirAllInRoot(root_fd_.get(), "/a/b/c", 0750);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_TRUE(Same(fd->get(), root_ + "/a/b/c"));
  struct stat st {};
  ASSERT_EQ(stat((root_ + "/a/b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  Result<UniqueFd> again = MkdirAllInRoot(root_fd_.get(), "a/b/c", 0750);
  ASSERT_TRUE(again);
  EXPECT_TRUE(Same(again->get(), root_ + "/a/b/c"));
}

TEST_F(InRootTest, MkdirAllThroughEscapingSymlinksStaysInside) {
  Link("/../.." + outside_, "abs");
  Link("../../../../.." + outside_, "rel");
  for (const char* path : {"/abs/a/x", "/rel/a/y"}) {
    Result<UniqueFd> fd = MkdirAllInRoot(root_fd_.get(), path, 0755);
    ASSERT_TRUE(fd) << path << ": " << fd.error().message();
  }
  EXPECT_EQ(access((root_ + outside_ + "/a/x").c_str(), F_OK), 0);
  EXPECT_EQ(access((root_ + outside_ + "/a/y").c_str(), F_OK), 0);
}

TEST_F(InRootTest, MkdirAllFollowsDanglingSymlinksInside) {
  Link("/d2/x", "d1");
  Link("/../../" + outside_.substr(1) + "/target", "d2");
  Result<UniqueFd> fd = MkdirAllInRoot(root_fd_.get(), "/d1/y", 0755);
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_TRUE(Same(fd->get(), root_ + outside_ + "/target/x/y"));
}

TEST_F(InRootTest, MkdirAllFailsOnLoopsAndFiles) {
  Link("l2", "l1");
  Link("l1", "l2");
  Result<UniqueFd> loop = MkdirAllInRoot(root_fd_.get(), "/l1/x", 0755);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().sys_errno(), ELOOP);
  ASSERT_TRUE(WriteFile(root_ + "/file", ""));
  Result<UniqueFd> notdir = MkdirAllInRoot(root_fd_.get(), "/file/x", 0755);
  ASSERT_FALSE(notdir);
  EXPECT_EQ(notdir.error().sys_errno(), ENOTDIR);
}

TEST_F(InRootTest, CreateFileInRoot) {
  Result<UniqueFd> fd = CreateFileInRoot(root_fd_.get(), "/etc/hosts", 0640);
  ASSERT_TRUE(fd) << fd.error().message();
  struct stat st {};
  ASSERT_EQ(stat((root_ + "/etc/hosts").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 0);

  ASSERT_TRUE(WriteFile(root_ + "/etc/hosts", "keep"));
  ASSERT_TRUE(CreateFileInRoot(root_fd_.get(), "/etc/hosts", 0640));
  Result<std::string> content = ReadFile(root_ + "/etc/hosts");
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "keep");

  Link("/../.." + outside_ + "/a/victim", "evil");
  Result<UniqueFd> evil = CreateFileInRoot(root_fd_.get(), "/evil", 0644);
  ASSERT_TRUE(evil) << evil.error().message();
  EXPECT_TRUE(Same(evil->get(), root_ + outside_ + "/a/victim"));
}

TEST_F(InRootTest, NodesLinksAndModes) {
  ASSERT_TRUE(MknodAt(root_fd_.get(), "fifo", S_IFIFO | 0600, 0));
  ASSERT_TRUE(FchmodAt(root_fd_.get(), "fifo", 0640, AT_SYMLINK_NOFOLLOW));
  ASSERT_TRUE(FchownAt(root_fd_.get(), "fifo", getuid(), getgid(), AT_SYMLINK_NOFOLLOW));
  struct stat st {};
  ASSERT_EQ(lstat((root_ + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  Status again = MknodAt(root_fd_.get(), "fifo", S_IFIFO | 0600, 0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno(), EEXIST);
  EXPECT_EQ(again.error().message(), "mknod fifo: File exists");

  std::string long_target(1000, 'x');
  ASSERT_TRUE(SymlinkAt(long_target, root_fd_.get(), "long"));
  Result<std::string> read_back = ReadlinkAt(root_fd_.get(), "long");
  ASSERT_TRUE(read_back);
  EXPECT_EQ(*read_back, long_target);

  // Changing the mode of a symlink itself is refused, and its target keeps its mode.
  ASSERT_TRUE(SymlinkAt("fifo", root_fd_.get(), "link"));
  EXPECT_FALSE(FchmodAt(root_fd_.get(), "link", 0777, AT_SYMLINK_NOFOLLOW));
  ASSERT_EQ(lstat((root_ + "/fifo").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_TRUE(UnlinkAt(root_fd_.get(), "link", 0));
  EXPECT_NE(access((root_ + "/link").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace berth::sys
