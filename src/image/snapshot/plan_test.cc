#include "image/snapshot/plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "image/snapshot/mount_options.h"

namespace berth::image::snapshot {
namespace {

const std::vector<std::string> kNoExtra;

Chain MakeChain(Kind kind, int parents) {
  Chain chain{.kind = kind, .dir = "/r/snapshots/100", .parents = {}};
  for (int i = parents; i >= 1; --i) chain.parents.push_back(fmt::format("/r/snapshots/{}", i));
  return chain;
}

TEST(PlanOverlayTest, ActiveWithoutParentIsWritableBindOfItsFs) {
  EXPECT_EQ(PlanOverlay(MakeChain(Kind::kActive, 0), {"index=off"}),
            (std::vector<Mount>{{"bind", "/r/snapshots/100/fs", {"rbind", "rw"}}}));
}

TEST(PlanOverlayTest, ActiveWithParentsStacksThemNearestFirst) {
  std::vector<Mount> mounts = PlanOverlay(MakeChain(Kind::kActive, 3), {"index=off"});
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].type, "overlay");
  EXPECT_EQ(mounts[0].source, "overlay");
  EXPECT_EQ(mounts[0].options,
            (std::vector<std::string>{
                "workdir=/r/snapshots/100/work", "upperdir=/r/snapshots/100/fs",
                "lowerdir=/r/snapshots/3/fs:/r/snapshots/2/fs:/r/snapshots/1/fs", "index=off"}));
}

TEST(PlanOverlayTest, ViewOfNothingIsReadOnlyBindOfItsOwnFs) {
  EXPECT_EQ(PlanOverlay(MakeChain(Kind::kView, 0), kNoExtra),
            (std::vector<Mount>{{"bind", "/r/snapshots/100/fs", {"rbind", "ro"}}}));
}

TEST(PlanOverlayTest, ViewOfOneLayerIsReadOnlyBindOfThatLayer) {
  EXPECT_EQ(PlanOverlay(MakeChain(Kind::kView, 1), {"index=off"}),
            (std::vector<Mount>{{"bind", "/r/snapshots/1/fs", {"rbind", "ro"}}}));
}

TEST(PlanOverlayTest, ViewOfChainIsOverlayWithoutUpper) {
  EXPECT_EQ(PlanOverlay(MakeChain(Kind::kView, 2), kNoExtra),
            (std::vector<Mount>{
                {"overlay", "overlay", {"ro", "lowerdir=/r/snapshots/2/fs:/r/snapshots/1/fs"}}}));
}

TEST(PlanOverlayTest, LongChainParsesBackToItsLayersInOrder) {
  Chain chain = MakeChain(Kind::kActive, 200);
  std::vector<Mount> mounts = PlanOverlay(chain, kNoExtra);
  ASSERT_EQ(mounts.size(), 1u);
  Result<ParsedMount> parsed = ParseMount(mounts[0]);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->lowerdirs.size(), 200u);
  for (size_t i = 0; i < chain.parents.size(); ++i) {
    EXPECT_EQ(parsed->lowerdirs[i], FsDir(chain.parents[i]));
  }
  EXPECT_EQ(parsed->params, (std::vector<std::string>{"workdir=/r/snapshots/100/work",
                                                      "upperdir=/r/snapshots/100/fs"}));
}

TEST(PlanNativeTest, ActiveIsWritableBindOfItsOwnCopy) {
  EXPECT_EQ(PlanNative(MakeChain(Kind::kActive, 2)),
            (std::vector<Mount>{{"bind", "/r/snapshots/100/fs", {"rbind", "rw"}}}));
}

TEST(PlanNativeTest, ViewIsReadOnlyBindOfParent) {
  EXPECT_EQ(PlanNative(MakeChain(Kind::kView, 2)),
            (std::vector<Mount>{{"bind", "/r/snapshots/2/fs", {"rbind", "ro"}}}));
  EXPECT_EQ(PlanNative(MakeChain(Kind::kView, 0)),
            (std::vector<Mount>{{"bind", "/r/snapshots/100/fs", {"rbind", "ro"}}}));
}

}  // namespace
}  // namespace berth::image::snapshot
