#include "http/url.h"

#include <gtest/gtest.h>

namespace berth::http {
namespace {

TEST(UrlTest, DecodePathUndoesEscapesButKeepsPlus) {
  EXPECT_EQ(*DecodePath("/images/a%2Fb%3Av1/json"), "/images/a/b:v1/json");
  EXPECT_EQ(*DecodePath("/a+b%20c"), "/a+b c");
  EXPECT_EQ(*DecodePath("%e2%82%AC"), "\xe2\x82\xac");
}

TEST(UrlTest, MalformedEscapesAreInvalidArguments) {
  for (const char* bad : {"%", "%2", "%zz", "a%g0", "%%"}) {
    Result<std::string> decoded = DecodePath(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(UrlTest, ParseQueryReadsPairsAsGoDoes) {
  Result<QueryValues> values = ParseQuery("a=1&b=x+y%26z&c&&d=&a=2&e=%3D=");
  ASSERT_TRUE(values) << values.error().message();
  QueryValues want = {{"a", "1"}, {"a", "2"}, {"b", "x y&z"}, {"c", ""}, {"d", ""}, {"e", "=="}};
  EXPECT_EQ(*values, want);
  EXPECT_TRUE(ParseQuery("")->empty());
}

TEST(UrlTest, ParseQueryRefusesSemicolonsAndBadEscapes) {
  EXPECT_EQ(ParseQuery("a=1;b=2").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseQuery("a=%x1").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseQuery("%=1").error().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace berth::http
