#include "base/path.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Path, GoCleanIsFilepathClean) {
  EXPECT_EQ(GoClean("a//b/./../c/"), "a/c");
  EXPECT_EQ(GoClean("//a/./b/../c/"), "/a/c");
  EXPECT_EQ(GoClean("../../x"), "../../x");
  EXPECT_EQ(GoClean("/../../etc"), "/etc");
  EXPECT_EQ(GoClean("/"), "/");
  EXPECT_EQ(GoClean(""), ".");
}

TEST(Path, GoBaseAndGoDir) {
  EXPECT_EQ(GoBase("/etc/passwd"), "passwd");
  EXPECT_EQ(GoBase("/etc/"), "etc");
  EXPECT_EQ(GoBase("/etc/."), ".");
  EXPECT_EQ(GoBase("//"), "/");
  EXPECT_EQ(GoBase(""), ".");
  EXPECT_EQ(GoDir("/a/b"), "/a");
  EXPECT_EQ(GoDir("b"), ".");
  EXPECT_EQ(GoDir("/b"), "/");
}

TEST(Path, PreserveTrailingDotOrSeparator) {
  EXPECT_EQ(PreserveTrailingDotOrSeparator("/etc", "/etc/"), "/etc/");
  EXPECT_EQ(PreserveTrailingDotOrSeparator("/etc", "/etc/."), "/etc/.");
  EXPECT_EQ(PreserveTrailingDotOrSeparator("/", "."), "/.");
  EXPECT_EQ(PreserveTrailingDotOrSeparator("/", "/"), "/");
  EXPECT_EQ(PreserveTrailingDotOrSeparator("/etc", "etc"), "/etc");
  EXPECT_TRUE(SpecifiesCurrentDir("a/."));
  EXPECT_FALSE(SpecifiesCurrentDir("a/b"));
}

}  // namespace
}  // namespace berth
