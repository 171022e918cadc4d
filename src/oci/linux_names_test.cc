#include "oci/linux_names.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>

#include <set>

namespace berth::oci {
namespace {

TEST(LinuxNamesTest, CapabilitiesMapBothWays) {
  EXPECT_EQ(CapabilityNumber("CAP_CHOWN"), 0);
  EXPECT_EQ(CapabilityNumber("CAP_NET_BIND_SERVICE"), 10);
  EXPECT_EQ(CapabilityNumber("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(CapabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityNumber("CAP_NOPE"), std::nullopt);
  EXPECT_EQ(CapabilityNumber("chown"), std::nullopt);
  EXPECT_EQ(LastKnownCapability(), 40);
  ASSERT_EQ(AllCapabilityNames().size(), 41u);
  for (int i = 0; i <= LastKnownCapability(); ++i) {
    std::string_view name = CapabilityName(i);
    EXPECT_EQ(AllCapabilityNames()[static_cast<size_t>(i)], name);
    EXPECT_EQ(CapabilityNumber(name), i) << name;
  }
  EXPECT_EQ(CapabilityName(41), "");
  EXPECT_EQ(CapabilityName(-1), "");
}

TEST(LinuxNamesTest, RlimitsAreAllKnown) {
  EXPECT_EQ(RlimitNumber("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitNumber("RLIMIT_CPU"), RLIMIT_CPU);
  EXPECT_EQ(RlimitNumber("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(RlimitNumber("RLIMIT_NOPE"), std::nullopt);
  ASSERT_EQ(AllRlimitNames().size(), 16u);
  std::set<int> numbers;
  for (const std::string& name : AllRlimitNames()) {
    std::optional<int> number = RlimitNumber(name);
    ASSERT_TRUE(number) << name;
    numbers.insert(*number);
  }
  EXPECT_EQ(numbers.size(), 16u);
}

TEST(LinuxNamesTest, NamespaceTypesMapToCloneFlags) {
  EXPECT_EQ(NamespaceCloneFlag("network"), uint64_t{CLONE_NEWNET});
  EXPECT_EQ(NamespaceCloneFlag("mount"), uint64_t{CLONE_NEWNS});
  EXPECT_EQ(NamespaceCloneFlag("cgroup"), uint64_t{CLONE_NEWCGROUP});
  EXPECT_EQ(NamespaceCloneFlag("time"), uint64_t{CLONE_NEWTIME});
  EXPECT_EQ(NamespaceCloneFlag("net"), std::nullopt);
  EXPECT_EQ(AllNamespaceTypes().size(), 8u);
  for (const std::string& type : AllNamespaceTypes()) EXPECT_TRUE(NamespaceCloneFlag(type)) << type;
}

TEST(LinuxNamesTest, SeccompVocabulary) {
  EXPECT_TRUE(Contains(SeccompActions(), "SCMP_ACT_KILL_PROCESS"));
  EXPECT_TRUE(Contains(SeccompActions(), "SCMP_ACT_NOTIFY"));
  EXPECT_FALSE(Contains(SeccompActions(), "SCMP_ACT_NOPE"));
  EXPECT_EQ(SeccompActions().size(), 9u);
  EXPECT_EQ(SeccompOperators().size(), 7u);
  EXPECT_TRUE(Contains(SeccompOperators(), "SCMP_CMP_MASKED_EQ"));
  EXPECT_TRUE(Contains(SeccompArchitectures(), "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(Contains(SeccompArchitectures(), "SCMP_ARCH_AARCH64"));
  EXPECT_FALSE(Contains(SeccompArchitectures(), "SCMP_ARCH_NATIVE"));
  EXPECT_TRUE(Contains(SeccompFlags(), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  EXPECT_EQ(SeccompFlags().size(), 4u);
}

}  // namespace
}  // namespace berth::oci
