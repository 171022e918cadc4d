#include "image/store/gc.h"

#include <gtest/gtest.h>

namespace berth::image::store {
namespace {

TEST(ChildrenFirstTest, EverySnapshotComesBeforeItsParent) {
  std::vector<snapshot::Info> infos = {{.name = "base"},
                                       {.name = "top", .parent = "mid"},
                                       {.name = "mid", .parent = "base"},
                                       {.name = "container", .parent = "top"},
                                       {.name = "other"}};
  EXPECT_EQ(ChildrenFirst(infos),
            (std::vector<std::string>{"container", "top", "mid", "base", "other"}));
}

TEST(ChildrenFirstTest, ACycleEndsTheWalk) {
  std::vector<snapshot::Info> infos = {{.name = "a", .parent = "b"}, {.name = "b", .parent = "a"}};
  EXPECT_EQ(ChildrenFirst(infos).size(), 2u);
}

}  // namespace
}  // namespace berth::image::store
