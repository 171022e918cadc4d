#include "daemon/container/archive_path.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::daemon::container {
namespace {

TEST(ArchivePath, GoFileModeHasGoTypeBits) {
  EXPECT_EQ(GoFileMode(S_IFREG | 0644), 0644u);
  EXPECT_EQ(GoFileMode(S_IFDIR | 0755), kGoModeDir | 0755);
  EXPECT_EQ(GoFileMode(S_IFLNK | 0777), kGoModeSymlink | 0777);
  EXPECT_EQ(GoFileMode(S_IFCHR | 0666), kGoModeDevice | kGoModeCharDevice | 0666);
  EXPECT_EQ(GoFileMode(S_IFBLK | 0660), kGoModeDevice | 0660);
  EXPECT_EQ(GoFileMode(S_IFIFO | 0600), kGoModeNamedPipe | 0600);
  EXPECT_EQ(GoFileMode(S_IFSOCK | 0755), kGoModeSocket | 0755);
  EXPECT_EQ(GoFileMode(S_IFREG | S_ISUID | S_ISGID | 0755), kGoModeSetuid | kGoModeSetgid | 0755);
  EXPECT_EQ(GoFileMode(S_IFDIR | S_ISVTX | 0777), kGoModeDir | kGoModeSticky | 0777);
  // docker's JSON carries the number: a directory 0755 is 2147484141.
  EXPECT_EQ(GoFileMode(S_IFDIR | 0755), 2147484141u);
}

TEST(ArchivePath, ContainerPathKeepsTrailingSlashAndDot) {
  EXPECT_EQ(ContainerPath("etc/passwd"), "/etc/passwd");
  EXPECT_EQ(ContainerPath("/etc/"), "/etc/");
  EXPECT_EQ(ContainerPath("/etc/."), "/etc/.");
  EXPECT_EQ(ContainerPath("/etc//./x/../"), "/etc/");
  EXPECT_EQ(ContainerPath("."), "/.");
  EXPECT_EQ(ContainerPath("/"), "/");
  EXPECT_EQ(ContainerPath("/../../etc"), "/etc");
  EXPECT_EQ(ContainerPath(""), "/.");
}

TEST(ArchivePath, InMountMatchesWholeComponents) {
  EXPECT_TRUE(InMount("/data", "/data"));
  EXPECT_TRUE(InMount("/data/", "/data/x/y"));
  EXPECT_FALSE(InMount("/data", "/database"));
  EXPECT_FALSE(InMount("/data", "/"));
  EXPECT_TRUE(InMount("/", "/anything"));
}

TEST(ArchivePath, ResolveInScopeStaysInTheRoot) {
  const std::map<std::string, std::string> links = {
      {"/abs", "/etc"},       {"/rel", "etc/passwd"}, {"/up", "../../../../etc"},
      {"/loop", "/loop"},     {"/etc/hosts", "../x"}, {"/dangling", "/nowhere/file"},
      {"/chain", "abs/group"}};
  ReadlinkFn readlink = [&](const std::string& path) -> Result<std::optional<std::string>> {
    auto it = links.find(path);
    if (it == links.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
  EXPECT_EQ(*ResolveInScope("/abs", readlink), "/etc");
  EXPECT_EQ(*ResolveInScope("/rel", readlink), "/etc/passwd");
  EXPECT_EQ(*ResolveInScope("/up/passwd", readlink), "/etc/passwd");
  EXPECT_EQ(*ResolveInScope("/etc/hosts", readlink), "/x");
  EXPECT_EQ(*ResolveInScope("/dangling", readlink), "/nowhere/file");
  EXPECT_EQ(*ResolveInScope("/chain", readlink), "/etc/group");
  EXPECT_EQ(*ResolveInScope("/plain/../file", readlink), "/file");
  Result<std::string> loop = ResolveInScope("/loop", readlink);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace berth::daemon::container
