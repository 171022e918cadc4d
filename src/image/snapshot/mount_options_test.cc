#include "image/snapshot/mount_options.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sys/mount.h"

namespace berth::image::snapshot {
namespace {

Mount Overlay(size_t layers, const std::string& root) {
  std::vector<std::string> dirs;
  for (size_t i = layers; i >= 1; --i) dirs.push_back(fmt::format("{}/snapshots/{}/fs", root, i));
  return Mount{.type = "overlay",
               .source = "overlay",
               .options = {"workdir=" + root + "/snapshots/900/work",
                           "upperdir=" + root + "/snapshots/900/fs",
                           fmt::format("lowerdir={}", fmt::join(dirs, ":")), "index=off"}};
}

TEST(ParseMountTest, FlagsAndParameters) {
  Result<ParsedMount> p =
      ParseMount({"tmpfs", "tmpfs", {"ro", "nosuid", "size=64k", "nodev", "rw", "mode=755"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV));
  EXPECT_EQ(p->params, (std::vector<std::string>{"size=64k", "mode=755"}));
  EXPECT_TRUE(p->lowerdirs.empty());
}

TEST(ParseMountTest, BindTypeAndRbind) {
  Result<ParsedMount> plain = ParseMount({"bind", "/a", {"ro"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  Result<ParsedMount> rec = ParseMount({"none", "/a", {"rbind", "rw"}});
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->flags, static_cast<unsigned long>(MS_BIND | MS_REC));
}

TEST(ParseMountTest, OverlayLowerdirsSplitAndUnescaped) {
  Result<ParsedMount> p =
      ParseMount({"overlay", "overlay", {"lowerdir=/a\\:b:/c\\\\d:/e", "upperdir=/u"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->lowerdirs, (std::vector<std::string>{"/a:b", "/c\\d", "/e"}));
  EXPECT_EQ(p->params, (std::vector<std::string>{"upperdir=/u"}));
}

TEST(ParseMountTest, OverlayWithoutLowerdirIsInvalid) {
  Result<ParsedMount> p = ParseMount({"overlay", "overlay", {"upperdir=/u"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidArgument);
}

TEST(ParseMountTest, OverlayPastKernelStackLimitIsExhausted) {
  EXPECT_TRUE(ParseMount(Overlay(kMaxOverlayLowerdirs, "/r")));
  Result<ParsedMount> p = ParseMount(Overlay(kMaxOverlayLowerdirs + 1, "/r"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kResourceExhausted);
  EXPECT_NE(p.error().message().find("501 lower layers"), std::string::npos);
}

TEST(MountAttrOfTest, MapsPerMountFlags) {
  EXPECT_EQ(MountAttrOf(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC),
            static_cast<unsigned>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                  MOUNT_ATTR_NOEXEC));
  EXPECT_EQ(MountAttrOf(MS_NOATIME | MS_STRICTATIME), static_cast<unsigned>(MOUNT_ATTR_NOATIME));
  EXPECT_EQ(MountAttrOf(MS_BIND | MS_REC), 0u);
}

TEST(OverlayMountDataTest, ShortChainKeepsAbsolutePaths) {
  Result<ParsedMount> p = ParseMount(Overlay(3, "/r"));
  ASSERT_TRUE(p);
  Result<OverlayData> data = OverlayMountData(*p, 4096);
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_EQ(data->cwd, "");
  EXPECT_EQ(data->data,
            "lowerdir=/r/snapshots/3/fs:/r/snapshots/2/fs:/r/snapshots/1/fs,"
            "workdir=/r/snapshots/900/work,upperdir=/r/snapshots/900/fs,index=off");
}

TEST(OverlayMountDataTest, LongChainGoesRelativeToCommonDirectory) {
  const std::string root = "/var/lib/berth/a-rather-long-data-root";
  Result<ParsedMount> p = ParseMount(Overlay(200, root));
  ASSERT_TRUE(p);
  Result<OverlayData> data = OverlayMountData(*p, 4096);
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_EQ(data->cwd, root + "/snapshots");
  EXPECT_LT(data->data.size(), 4096u);
  EXPECT_TRUE(data->data.starts_with("lowerdir=200/fs:199/fs:")) << data->data;
  EXPECT_NE(data->data.find(":1/fs,workdir=" + root + "/snapshots/900/work,"), std::string::npos);
}

TEST(OverlayMountDataTest, CommonDirectoryIsWholeComponents) {
  ParsedMount p;
  p.lowerdirs = {"/data/snap1/fs", "/data/snap10/fs"};
  Result<OverlayData> data = OverlayMountData(p, 30);
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_EQ(data->cwd, "/data");
  EXPECT_EQ(data->data, "lowerdir=snap1/fs:snap10/fs");
}

TEST(OverlayMountDataTest, EscapesSeparatorsInPaths) {
  ParsedMount p;
  p.lowerdirs = {"/a:b", "/c,d"};
  Result<OverlayData> data = OverlayMountData(p, 4096);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->data, "lowerdir=/a\\:b:/c\\,d");
}

TEST(OverlayMountDataTest, TooLongEvenRelativeIsExhausted) {
  Result<ParsedMount> p = ParseMount(Overlay(500, "/r"));
  ASSERT_TRUE(p);
  Result<OverlayData> data = OverlayMountData(*p, 1024);
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().kind(), ErrorKind::kResourceExhausted);
}

}  // namespace
}  // namespace berth::image::snapshot
