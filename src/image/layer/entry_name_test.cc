#include "image/layer/entry_name.h"

#include <gtest/gtest.h>

namespace berth::image::layer {
namespace {

TEST(CleanEntryNameTest, CleansLexically) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"a", "a"},
      {"./a//b/", "a/b"},
      {"a/./b", "a/b"},
      {"a/b/../c", "a/c"},
      {"/etc/passwd", "etc/passwd"},
      {"//a", "a"},
      {"", ""},
      {".", ""},
      {"./", ""},
      {"/", ""},
      {"a/..", ""},
      {"a/../b/../c", "c"},
      {"...", "..."},
      {"..a/b", "..a/b"},
      {"a/..b", "a/..b"},
  };
  for (const auto& [raw, want] : cases) {
    Result<std::string> clean = CleanEntryName(raw);
    ASSERT_TRUE(clean) << raw << ": " << clean.error().message();
    EXPECT_EQ(*clean, want) << raw;
  }
}

TEST(CleanEntryNameTest, RefusesNamesThatLeave) {
  for (std::string_view raw : {"..", "../x", "./../x", "a/../../x", "/../x", "a/b/../../../c"}) {
    Result<std::string> clean = CleanEntryName(raw);
    ASSERT_FALSE(clean) << raw << " gave " << *clean;
    EXPECT_EQ(clean.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(clean.error().message(), "path leaves the layer");
  }
}

TEST(SplitNameTest, SplitsParentAndBase) {
  EXPECT_EQ(SplitName("a/b/c").parent, "a/b");
  EXPECT_EQ(SplitName("a/b/c").base, "c");
  EXPECT_EQ(SplitName("c").parent, "");
  EXPECT_EQ(SplitName("c").base, "c");
}

TEST(QuoteNameTest, EscapesAndCuts) {
  EXPECT_EQ(QuoteName("a/b"), "\"a/b\"");
  EXPECT_EQ(QuoteName("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteName(std::string_view("a\nb\0", 4)), "\"a\\x0ab\\x00\"");
  std::string quoted = QuoteName(std::string(1000, 'x'));
  EXPECT_EQ(quoted.size(), 256 + 5);
  EXPECT_TRUE(quoted.ends_with("...\""));
}

}  // namespace
}  // namespace berth::image::layer
