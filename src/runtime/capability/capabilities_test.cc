#include "runtime/capability/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

namespace berth::runtime {
namespace {

constexpr uint64_t Bit(int cap) { return uint64_t{1} << cap; }

TEST(PlanCapabilities, NamesBecomeMasks) {
  oci::Capabilities caps{.bounding = {"CAP_KILL", "CAP_CHOWN"},
                         .effective = {"CAP_KILL"},
                         .permitted = {"CAP_KILL"},
                         .ambient = {"CAP_KILL"}};
  auto sets = PlanCapabilities(caps, CAP_LAST_CAP, ~uint64_t{0});
  ASSERT_TRUE(sets) << sets.error().message();
  EXPECT_EQ(sets->bounding, Bit(CAP_KILL) | Bit(CAP_CHOWN));
  EXPECT_EQ(sets->effective, Bit(CAP_KILL));
  EXPECT_EQ(sets->inheritable, 0u);
  EXPECT_EQ(sets->ambient, Bit(CAP_KILL));
  EXPECT_TRUE(sets->ungranted.empty());
}

TEST(PlanCapabilities, UngrantableOnesAreLeftOutAndListedOnce) {
  // CAP_SYS_RESOURCE is outside the runtime's bounding set; CAP_CHECKPOINT_RESTORE (40) is beyond
  // a kernel whose last capability is CAP_BPF (39).
  oci::Capabilities caps{
      .bounding = {"CAP_KILL", "CAP_SYS_RESOURCE", "CAP_CHECKPOINT_RESTORE"},
      .effective = {"CAP_SYS_RESOURCE"},
      .permitted = {"CAP_KILL", "CAP_SYS_RESOURCE"},
  };
  auto sets = PlanCapabilities(caps, CAP_BPF, ~Bit(CAP_SYS_RESOURCE));
  ASSERT_TRUE(sets) << sets.error().message();
  EXPECT_EQ(sets->bounding, Bit(CAP_KILL));
  EXPECT_EQ(sets->effective, 0u);
  EXPECT_EQ(sets->permitted, Bit(CAP_KILL));
  EXPECT_EQ(sets->ungranted,
            (std::vector<std::string>{"CAP_SYS_RESOURCE", "CAP_CHECKPOINT_RESTORE"}));
}

TEST(PlanCapabilities, UnknownNameIsAnError) {
  oci::Capabilities caps{.effective = {"CAP_NO_SUCH_THING"}};
  auto sets = PlanCapabilities(caps, CAP_LAST_CAP, ~uint64_t{0});
  ASSERT_FALSE(sets);
  EXPECT_EQ(sets.error().message(),
            "process.capabilities.effective: unknown capability \"CAP_NO_SUCH_THING\"");
}

TEST(PlanCapabilities, NoSectionMeansNoCapabilities) {
  auto sets = PlanCapabilities(std::nullopt, CAP_LAST_CAP, ~uint64_t{0});
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->bounding | sets->effective | sets->permitted | sets->ambient, 0u);
}

}  // namespace
}  // namespace berth::runtime
