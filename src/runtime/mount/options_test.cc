#include "runtime/mount/options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <string>
#include <vector>

namespace berth::runtime::mount {
namespace {

MountOptions Parse(const std::vector<std::string>& options) {
  Result<MountOptions> parsed = ParseMountOptions(options);
  EXPECT_TRUE(parsed) << parsed.error().message();
  return parsed ? *parsed : MountOptions{};
}

struct AttrCase {
  std::string option;
  AttrChange attr;
  AttrChange recursive_attr;
};

class AttrTable : public testing::TestWithParam<AttrCase> {};

TEST_P(AttrTable, MapsOptionToMountAttr) {
  const AttrCase& c = GetParam();
  MountOptions parsed = Parse({c.option});
  EXPECT_EQ(parsed.attr, c.attr) << c.option;
  EXPECT_EQ(parsed.recursive_attr, c.recursive_attr) << c.option;
  EXPECT_TRUE(parsed.data.empty()) << c.option;
  EXPECT_FALSE(parsed.bind) << c.option;
  EXPECT_EQ(parsed.propagation, 0u) << c.option;
}

constexpr uint64_t kAtime = MOUNT_ATTR__ATIME;

INSTANTIATE_TEST_SUITE_P(
    Options, AttrTable,
    testing::Values(
        AttrCase{"ro", {MOUNT_ATTR_RDONLY, 0}, {}}, AttrCase{"rw", {0, MOUNT_ATTR_RDONLY}, {}},
        AttrCase{"nosuid", {MOUNT_ATTR_NOSUID, 0}, {}},
        AttrCase{"suid", {0, MOUNT_ATTR_NOSUID}, {}}, AttrCase{"nodev", {MOUNT_ATTR_NODEV, 0}, {}},
        AttrCase{"dev", {0, MOUNT_ATTR_NODEV}, {}}, AttrCase{"noexec", {MOUNT_ATTR_NOEXEC, 0}, {}},
        AttrCase{"exec", {0, MOUNT_ATTR_NOEXEC}, {}},
        AttrCase{"nodiratime", {MOUNT_ATTR_NODIRATIME, 0}, {}},
        AttrCase{"diratime", {0, MOUNT_ATTR_NODIRATIME}, {}},
        AttrCase{"noatime", {MOUNT_ATTR_NOATIME, kAtime}, {}},
        AttrCase{"atime", {MOUNT_ATTR_RELATIME, kAtime}, {}},
        AttrCase{"relatime", {MOUNT_ATTR_RELATIME, kAtime}, {}},
        AttrCase{"norelatime", {MOUNT_ATTR_RELATIME, kAtime}, {}},
        AttrCase{"strictatime", {MOUNT_ATTR_STRICTATIME, kAtime}, {}},
        AttrCase{"nostrictatime", {MOUNT_ATTR_RELATIME, kAtime}, {}},
        AttrCase{"rro", {}, {MOUNT_ATTR_RDONLY, 0}}, AttrCase{"rrw", {}, {0, MOUNT_ATTR_RDONLY}},
        AttrCase{"rnosuid", {}, {MOUNT_ATTR_NOSUID, 0}},
        AttrCase{"rsuid", {}, {0, MOUNT_ATTR_NOSUID}},
        AttrCase{"rnodev", {}, {MOUNT_ATTR_NODEV, 0}}, AttrCase{"rdev", {}, {0, MOUNT_ATTR_NODEV}},
        AttrCase{"rnoexec", {}, {MOUNT_ATTR_NOEXEC, 0}},
        AttrCase{"rexec", {}, {0, MOUNT_ATTR_NOEXEC}},
        AttrCase{"rnoatime", {}, {MOUNT_ATTR_NOATIME, kAtime}},
        AttrCase{"ratime", {}, {MOUNT_ATTR_RELATIME, kAtime}},
        AttrCase{"rrelatime", {}, {MOUNT_ATTR_RELATIME, kAtime}},
        AttrCase{"rnorelatime", {}, {MOUNT_ATTR_RELATIME, kAtime}},
        AttrCase{"rstrictatime", {}, {MOUNT_ATTR_STRICTATIME, kAtime}}));

TEST(ParseMountOptions, LastFlagWins) {
  MountOptions parsed = Parse({"ro", "nosuid", "rw", "suid", "nosuid"});
  EXPECT_EQ(parsed.attr, (AttrChange{MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY}));
}

TEST(ParseMountOptions, AtimeFollowsTheKernelsPrecedence) {
  // strictatime beats noatime whatever the order, as mount(2) does.
  EXPECT_EQ(Parse({"strictatime", "noatime"}).attr.set, uint64_t{MOUNT_ATTR_STRICTATIME});
  EXPECT_EQ(Parse({"noatime", "strictatime", "nostrictatime"}).attr.set,
            uint64_t{MOUNT_ATTR_NOATIME});
  EXPECT_EQ(Parse({"noatime", "atime"}).attr.set, uint64_t{MOUNT_ATTR_RELATIME});
  EXPECT_EQ(Parse({"nosuid", "noatime"}).attr,
            (AttrChange{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME, kAtime}));
}

TEST(ParseMountOptions, BindAndRbind) {
  MountOptions bind = Parse({"bind"});
  EXPECT_TRUE(bind.bind);
  EXPECT_FALSE(bind.recursive);
  MountOptions rbind = Parse({"rbind", "ro"});
  EXPECT_TRUE(rbind.bind);
  EXPECT_TRUE(rbind.recursive);
  EXPECT_EQ(rbind.attr, (AttrChange{MOUNT_ATTR_RDONLY, 0}));
}

struct PropagationCase {
  std::string option;
  uint64_t type;
  bool recursive;
};

class PropagationTable : public testing::TestWithParam<PropagationCase> {};

TEST_P(PropagationTable, MapsOptionToPropagation) {
  MountOptions parsed = Parse({GetParam().option});
  EXPECT_EQ(parsed.propagation, GetParam().type);
  EXPECT_EQ(parsed.propagation_recursive, GetParam().recursive);
  EXPECT_TRUE(parsed.attr.empty());
}

INSTANTIATE_TEST_SUITE_P(Options, PropagationTable,
                         testing::Values(PropagationCase{"private", MS_PRIVATE, false},
                                         PropagationCase{"rprivate", MS_PRIVATE, true},
                                         PropagationCase{"shared", MS_SHARED, false},
                                         PropagationCase{"rshared", MS_SHARED, true},
                                         PropagationCase{"slave", MS_SLAVE, false},
                                         PropagationCase{"rslave", MS_SLAVE, true},
                                         PropagationCase{"unbindable", MS_UNBINDABLE, false},
                                         PropagationCase{"runbindable", MS_UNBINDABLE, true}));

TEST(ParseMountOptions, TwoPropagationsAreRefused) {
  Result<MountOptions> parsed = ParseMountOptions({"rprivate", "shared"});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(parsed.error().message(), "more than one propagation (rprivate, shared)");
  EXPECT_TRUE(ParseMountOptions({"rprivate", "rprivate"}));
}

TEST(ParseMountOptions, UnknownOptionsAndSuperblockFlagsBecomeData) {
  MountOptions parsed =
      Parse({"nosuid", "mode=755", "size=65536k", "sync", "newinstance", "async", "dirsync"});
  EXPECT_EQ(parsed.data, (std::vector<std::string>{"mode=755", "size=65536k", "sync", "newinstance",
                                                   "async", "dirsync"}));
}

TEST(ParseMountOptions, RemountAndCopyUp) {
  EXPECT_TRUE(Parse({"remount"}).remount);
  EXPECT_TRUE(Parse({"tmpcopyup"}).copy_up);
  EXPECT_FALSE(Parse({"ro"}).copy_up);
}

TEST(ParseMountOptions, IdmapIsNotImplemented) {
  for (const char* option : {"idmap", "ridmap"}) {
    Result<MountOptions> parsed = ParseMountOptions({"rbind", option});
    ASSERT_FALSE(parsed) << option;
    EXPECT_EQ(parsed.error().kind(), ErrorKind::kNotImplemented);
    EXPECT_EQ(parsed.error().message(),
              std::string(option) + ": idmapped mounts are not implemented");
  }
}

TEST(ParseMountOptions, EmptyOptionIsRefused) { EXPECT_FALSE(ParseMountOptions({"ro", ""})); }

}  // namespace
}  // namespace berth::runtime::mount
