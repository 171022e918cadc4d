#include "volume/volume.h"

#include <gtest/gtest.h>

namespace berth::volume {
namespace {

TEST(CheckNameTest, AcceptsDockersNames) {
  for (const char* name : {"db", "my_vol.1", "a-b", "0data", "A9"}) {
    EXPECT_TRUE(CheckName(name)) << name;
  }
}

TEST(CheckNameTest, RefusesWithDockersMessages) {
  Status one = CheckName("a");
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(one.error().message(),
            "create a: volume name is too short, names should be at least two alphanumeric "
            "characters");
  for (const char* name : {"", "_db", "-db", ".db", "d b", "d/b", "db@", "/abs"}) {
    Status bad = CheckName(name);
    ASSERT_FALSE(bad) << name;
    EXPECT_NE(bad.error().message().find("includes invalid characters for a local volume name, "
                                         "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed"),
              std::string::npos)
        << bad.error().message();
  }
}

TEST(AnonymousNameTest, Is64HexDigitsAndFresh) {
  const std::string a = NewAnonymousName();
  ASSERT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, NewAnonymousName());
  EXPECT_TRUE(CheckName(a));
}

TEST(ParseOptionsTest, PlainDirectoryWithoutOptions) {
  Result<std::optional<FilesystemMount>> none = ParseOptions({});
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(ParseOptionsTest, TypeDeviceAndO) {
  Result<std::optional<FilesystemMount>> fs =
      ParseOptions({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,uid=1000"}});
  ASSERT_TRUE(fs);
  ASSERT_TRUE(*fs);
  EXPECT_EQ((*fs)->type, "tmpfs");
  EXPECT_EQ((*fs)->device, "tmpfs");
  EXPECT_EQ((*fs)->options, "size=1m,uid=1000");
}

TEST(ParseOptionsTest, RefusesUnknownAndIncompleteOptions) {
  Result<std::optional<FilesystemMount>> unknown = ParseOptions({{"size", "1g"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "invalid option: \"size\"");
  Result<std::optional<FilesystemMount>> no_device = ParseOptions({{"type", "tmpfs"}});
  ASSERT_FALSE(no_device);
  EXPECT_EQ(no_device.error().message(), "missing required option: \"device\"");
  EXPECT_FALSE(ParseOptions({{"o", "size=1m"}}));
  EXPECT_FALSE(ParseOptions({{"device", "/dev/sdz"}}));
}

TEST(VolumeCodecTest, RoundTrips) {
  Volume v{.name = "data",
           .created_at = "2026-01-02T03:04:05Z",
           .labels = {{"a", "b"}, {kAnonymousLabel, ""}},
           .options = {{"type", "tmpfs"}, {"device", "tmpfs"}}};
  Result<Volume> back = DecodeVolume(EncodeVolume(v));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->name, "data");
  EXPECT_EQ(back->driver, "local");
  EXPECT_EQ(back->created_at, v.created_at);
  EXPECT_EQ(back->labels, v.labels);
  EXPECT_EQ(back->options, v.options);
  EXPECT_TRUE(back->Anonymous());
}

TEST(VolumeCodecTest, RefusesGarbageAndBadNames) {
  EXPECT_FALSE(DecodeVolume("{"));
  EXPECT_FALSE(DecodeVolume(R"({"Driver":"local"})"));
  EXPECT_FALSE(DecodeVolume(R"({"Name":"../x"})"));
}

}  // namespace
}  // namespace berth::volume
