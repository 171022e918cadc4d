#include "cli/copy_paths.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(CopyPaths, SplitCpArgFindsTheContainer) {
  EXPECT_EQ(SplitCpArg("web:/etc/hosts").container, "web");
  EXPECT_EQ(SplitCpArg("web:/etc/hosts").path, "/etc/hosts");
  EXPECT_EQ(SplitCpArg("web:rel").path, "rel");
  EXPECT_EQ(SplitCpArg("/abs:x").container, "");
  EXPECT_EQ(SplitCpArg("./file:name").container, "");
  EXPECT_EQ(SplitCpArg("plain").path, "plain");
  EXPECT_EQ(SplitCpArg("-").container, "");
}

TEST(CopyPaths, AbsolutePathKeepsTrailingSlashAndDot) {
  EXPECT_EQ(AbsolutePath("out/", "/home/user"), "/home/user/out/");
  EXPECT_EQ(AbsolutePath("dir/.", "/home/user"), "/home/user/dir/.");
  EXPECT_EQ(AbsolutePath("/x/../y", "/home/user"), "/y");
}

TEST(CopyPaths, SplitPathDirEntryKeepsCurrentDir) {
  EXPECT_EQ(SplitPathDirEntry("/a/b/").dir, "/a");
  EXPECT_EQ(SplitPathDirEntry("/a/b/").base, "b");
  EXPECT_EQ(SplitPathDirEntry("/a/b/.").dir, "/a/b");
  EXPECT_EQ(SplitPathDirEntry("/a/b/.").base, ".");
  EXPECT_EQ(SplitPathDirEntry("/").base, "/");
}

TEST(CopyPaths, RebaseNames) {
  Rebased r = GetRebaseName("/link/", "/real/dir");
  EXPECT_EQ(r.path, "/real/dir/");
  EXPECT_EQ(r.rebase_name, "link");
  EXPECT_EQ(GetRebaseName("/same", "/x/same").rebase_name, "");
  EXPECT_EQ(RebaseEntryName("dir/file", "dir", "copy"), "copy/file");
  EXPECT_EQ(RebaseEntryName("/bin/sh", "/", "root"), "root/bin/sh");
}

TEST(CopyPaths, PrepareArchiveCopyFollowsDockersCases) {
  const CopyInfo dir_src{.path = "/src/dir", .exists = true, .is_dir = true};
  const CopyInfo file_src{.path = "/src/file", .exists = true};
  // Into an existing directory: extracted there as it is.
  Result<ArchiveCopyPlan> into = PrepareArchiveCopy(file_src, {"/dst", true, true, ""});
  ASSERT_TRUE(into);
  EXPECT_EQ(into->dir, "/dst");
  EXPECT_FALSE(into->rename);
  // Over an existing file, or as a new name: into the parent, renamed.
  Result<ArchiveCopyPlan> over = PrepareArchiveCopy(file_src, {"/dst/other", true, false, ""});
  ASSERT_TRUE(over);
  EXPECT_EQ(over->dir, "/dst");
  EXPECT_EQ(over->old_base, "file");
  EXPECT_EQ(over->new_base, "other");
  Result<ArchiveCopyPlan> fresh = PrepareArchiveCopy(dir_src, {"/dst/new", false, false, ""});
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->old_base, "dir");
  EXPECT_EQ(fresh->new_base, "new");
  // The errors.
  Result<ArchiveCopyPlan> dir_on_file = PrepareArchiveCopy(dir_src, {"/dst/f", true, false, ""});
  ASSERT_FALSE(dir_on_file);
  EXPECT_EQ(dir_on_file.error().message(), "cannot copy directory");
  Result<ArchiveCopyPlan> file_to_dir =
      PrepareArchiveCopy(file_src, {"/dst/nope/", false, false, ""});
  ASSERT_FALSE(file_to_dir);
  EXPECT_EQ(file_to_dir.error().message(), "no such directory");
}

}  // namespace
}  // namespace berth::cli
