#include "base/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace berth {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileTest, AtomicWriteReplacesContentAndLeavesNoTemporary) {
  for (Lifetime lifetime : {Lifetime::kDurable, Lifetime::kUntilReboot}) {
    std::string p = dir_ + "/f";
    ASSERT_TRUE(WriteFileAtomic(p, "one", 0644, lifetime));
    ASSERT_TRUE(WriteFileAtomic(p, "two", 0600, lifetime));
    EXPECT_EQ(*ReadFile(p), "two");
    struct stat st {};
    ASSERT_EQ(stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    int entries = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_)) {
      (void)e;
      ++entries;
    }
    EXPECT_EQ(entries, 1);
    std::filesystem::remove(p);
  }
}

TEST_F(FileTest, AtomicWriteIntoMissingDirectoryFailsAndNamesIt) {
  for (Lifetime lifetime : {Lifetime::kDurable, Lifetime::kUntilReboot}) {
    Status s = WriteFileAtomic(dir_ + "/missing/f", "x", 0644, lifetime);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find(dir_ + "/missing/f"), std::string::npos);
  }
}

TEST_F(FileTest, ReadMissingFileNamesThePath) {
  auto r = ReadFile(dir_ + "/missing");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find(dir_ + "/missing"), std::string::npos);
}

TEST_F(FileTest, MakeDirsAndRemoveAll) {
  std::string p = dir_ + "/a/b/c";
  ASSERT_TRUE(MakeDirs(p, 0700));
  EXPECT_TRUE(std::filesystem::is_directory(p));
  ASSERT_TRUE(RemoveAll(dir_ + "/a"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a"));
  EXPECT_TRUE(RemoveAll(dir_ + "/a"));
}

}  // namespace
}  // namespace berth
