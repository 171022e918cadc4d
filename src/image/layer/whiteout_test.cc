#include "image/layer/whiteout.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

namespace berth::image::layer {
namespace {

TEST(WhiteoutTest, ParsesOciNames) {
  struct Case {
    std::string_view name;
    WhiteoutKind kind;
    std::string_view target;
  };
  const Case cases[] = {
      {"file", WhiteoutKind::kNone, ""},
      {".whfile", WhiteoutKind::kNone, ""},
      {"x.wh.file", WhiteoutKind::kNone, ""},
      {".wh.file", WhiteoutKind::kDelete, "file"},
      {".wh..hidden", WhiteoutKind::kDelete, ".hidden"},
      {".wh.", WhiteoutKind::kDelete, ""},
      {".wh..wh..opq", WhiteoutKind::kOpaque, ""},
      {".wh..wh.plnk", WhiteoutKind::kMeta, ""},
      {".wh..wh..opq2", WhiteoutKind::kMeta, ""},
  };
  for (const Case& c : cases) {
    Whiteout w = ParseWhiteout(c.name);
    EXPECT_EQ(w.kind, c.kind) << c.name;
    EXPECT_EQ(w.target, c.target) << c.name;
  }
}

TEST(WhiteoutTest, NamesRoundTrip) {
  EXPECT_EQ(WhiteoutName("passwd"), ".wh.passwd");
  EXPECT_EQ(ParseWhiteout(WhiteoutName("passwd")).target, "passwd");
}

TEST(WhiteoutTest, RecognisesOverlayEncoding) {
  struct stat st {};
  st.st_mode = S_IFCHR;
  st.st_rdev = makedev(0, 0);
  EXPECT_TRUE(IsOverlayWhiteout(st));
  st.st_rdev = makedev(1, 3);
  EXPECT_FALSE(IsOverlayWhiteout(st));
  st.st_mode = S_IFREG;
  st.st_rdev = 0;
  EXPECT_FALSE(IsOverlayWhiteout(st));

  EXPECT_TRUE(IsOverlayXattr("trusted.overlay.opaque"));
  EXPECT_TRUE(IsOverlayXattr("trusted.overlay.redirect"));
  EXPECT_TRUE(IsOverlayXattr("user.overlay.opaque"));
  EXPECT_FALSE(IsOverlayXattr("trusted.other"));
  EXPECT_FALSE(IsOverlayXattr("security.capability"));
}

}  // namespace
}  // namespace berth::image::layer
