#include "base/strings.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Strings, SetEnvReplacesByNameOrAppends) {
  std::vector<std::string> env = {"PATH=/bin", "A=1", "AB=2"};
  SetEnv(env, "A=3");
  SetEnv(env, "C=");
  SetEnv(env, "AB=4");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "A=3", "AB=4", "C="}));
}

TEST(Strings, SplitKeepsEmptyFields) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
}

TEST(Strings, JoinAndTrim) {
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(TrimSpace("  x y \n"), "x y");
  EXPECT_EQ(TrimSpace(" \t"), "");
}

TEST(Strings, ParseIntegersStrictly) {
  EXPECT_EQ(*ParseUint64("42"), 42u);
  EXPECT_EQ(*ParseInt64("-7"), -7);
  EXPECT_FALSE(ParseUint64("4x"));
  EXPECT_FALSE(ParseUint64(""));
  EXPECT_FALSE(ParseUint64("-1"));
  EXPECT_FALSE(ParseUint64("99999999999999999999999"));
}

TEST(Strings, Base64RoundTripsAndRefusesGarbage) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
  EXPECT_EQ(*Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*Base64Decode("//4A"), std::string("\xff\xfe\x00", 3));
  EXPECT_FALSE(Base64Decode("Zm9"));
  EXPECT_FALSE(Base64Decode("Zm=v"));
  EXPECT_FALSE(Base64Decode("Zm9*"));
}

TEST(Strings, Base64UrlEncodesWithPadding) {
  EXPECT_EQ(Base64UrlEncode(std::string("\xff\xfe\x00", 3)), "__4A");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8=");
}

TEST(Strings, Base64UrlDecodesWithAndWithoutPadding) {
  EXPECT_EQ(*Base64UrlDecode("Zm9vYg"), "foob");
  EXPECT_EQ(*Base64UrlDecode("Zm9vYg=="), "foob");
  EXPECT_EQ(*Base64UrlDecode("__4A"), std::string("\xff\xfe\x00", 3));
  EXPECT_EQ(*Base64UrlDecode("//4A"), std::string("\xff\xfe\x00", 3));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
  EXPECT_FALSE(Base64UrlDecode("Zm9*"));
}

TEST(Strings, Rfc3339Nano) {
  using namespace std::chrono;
  system_clock::time_point t{seconds(1700000000) + nanoseconds(120000000)};
  EXPECT_EQ(FormatRfc3339Nano(t), "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(FormatRfc3339Nano(system_clock::time_point{seconds(0)}), "1970-01-01T00:00:00Z");
}

TEST(Strings, HumanSizeInDecimalUnitsAsDocker) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(512), "512B");
  EXPECT_EQ(HumanSize(4'403'000), "4.403MB");
  EXPECT_EQ(HumanSize(170'401'280, 3), "170MB");
  EXPECT_EQ(HumanSize(1'999), "1.999kB");
}

}  // namespace
}  // namespace berth
