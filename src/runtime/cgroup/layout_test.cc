#include "runtime/cgroup/layout.h"

#include <gtest/gtest.h>

namespace berth::runtime::cgroup {
namespace {

using Controllers = std::vector<std::string>;

// This machine's layout: v1 controllers each on its own mount, name=systemd, and a cgroup2 mount
// at /sys/fs/cgroup/unified offering only hugetlb.
constexpr std::string_view kHybridMountinfo =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr std::string_view kHybridCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/490ad30a0a9d7e5e5c71ca13f7f52822\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n"
    "0::/\n";

TEST(ParseLayoutTest, HybridAsOnThisMachine) {
  Result<Layout> layout = ParseLayout(kHybridMountinfo, kHybridCgroup, "hugetlb\n");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kHybrid);
  ASSERT_EQ(layout->hierarchies.size(), 10u);
  const Hierarchy& memory = layout->hierarchies[3];
  EXPECT_EQ(memory.mount_point, "/sys/fs/cgroup/memory");
  EXPECT_FALSE(memory.v2);
  EXPECT_EQ(memory.controllers, Controllers{"memory"});
  EXPECT_EQ(memory.own_path, "/process_api/490ad30a0a9d7e5e5c71ca13f7f52822");
  EXPECT_EQ(memory.root, "/");
  EXPECT_EQ(layout->hierarchies[8].controllers, Controllers{"name=systemd"});
  const Hierarchy& unified = layout->hierarchies[9];
  EXPECT_EQ(unified.mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(unified.v2);
  EXPECT_EQ(unified.controllers, Controllers{"hugetlb"});
  EXPECT_EQ(unified.own_path, "/");

  EXPECT_EQ(*ContainerDir(memory, "berth/abc"),
            "/sys/fs/cgroup/memory/process_api/490ad30a0a9d7e5e5c71ca13f7f52822/berth/abc");
  EXPECT_EQ(*ContainerDir(memory, "/berth/abc"), "/sys/fs/cgroup/memory/berth/abc");
  EXPECT_EQ(*ContainerDir(unified, "berth/abc"), "/sys/fs/cgroup/unified/berth/abc");
}

TEST(ParseLayoutTest, PureV1WithCombinedControllers) {
  constexpr std::string_view mountinfo =
      "25 18 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup "
      "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
      "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory\n"
      "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw shared:15 - cgroup cgroup "
      "rw,net_cls,net_prio\n";
  constexpr std::string_view cgroup =
      "12:memory:/user.slice\n4:cpu,cpuacct:/user.slice\n3:net_cls,net_prio:/\n"
      "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n";
  Result<Layout> layout = ParseLayout(mountinfo, cgroup, "");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kV1);
  ASSERT_EQ(layout->hierarchies.size(), 4u);
  EXPECT_EQ(layout->hierarchies[0].controllers, Controllers{"name=systemd"});
  EXPECT_EQ(layout->hierarchies[0].own_path, "/user.slice/user-1000.slice/session-2.scope");
  EXPECT_EQ(layout->hierarchies[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(layout->hierarchies[1].controllers, (Controllers{"cpu", "cpuacct"}));
  EXPECT_EQ(layout->hierarchies[1].own_path, "/user.slice");
  EXPECT_EQ(layout->hierarchies[3].controllers, (Controllers{"net_cls", "net_prio"}));
  EXPECT_TRUE(layout->hierarchies[1].Has("cpuacct"));
  EXPECT_FALSE(layout->hierarchies[1].Has("memory"));
}

TEST(ParseLayoutTest, PureV2) {
  constexpr std::string_view mountinfo =
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  Result<Layout> layout = ParseLayout(mountinfo, "0::/user.slice/user-1000.slice/session-3.scope\n",
                                      "cpuset cpu io memory hugetlb pids rdma misc\n");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kV2);
  ASSERT_EQ(layout->hierarchies.size(), 1u);
  const Hierarchy& h = layout->hierarchies[0];
  EXPECT_TRUE(h.v2);
  EXPECT_EQ(h.controllers,
            (Controllers{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}));
  EXPECT_EQ(*ContainerDir(h, "x"), "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/x");
  EXPECT_EQ(*ContainerDir(h, "/system.slice/x"), "/sys/fs/cgroup/system.slice/x");
}

TEST(ParseLayoutTest, V2AtTheRootWinsOverALeftoverNamedV1Hierarchy) {
  constexpr std::string_view mountinfo =
      "35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
      "50 35 0:40 / /run/systemd/legacy rw - cgroup cgroup rw,name=systemd\n";
  Result<Layout> layout = ParseLayout(mountinfo, "1:name=systemd:/\n0::/\n", "memory");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kV2);
  ASSERT_EQ(layout->hierarchies.size(), 1u);
}

TEST(ParseLayoutTest, CgroupNamespaceRoot) {
  // Inside a container with its own cgroup namespace both files speak from the namespace root.
  constexpr std::string_view mountinfo =
      "1200 1190 0:30 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  Result<Layout> layout = ParseLayout(mountinfo, "0::/\n", "cpu memory pids");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kV2);
  EXPECT_EQ(*OwnDir(layout->hierarchies[0]), "/sys/fs/cgroup");
  EXPECT_EQ(*ContainerDir(layout->hierarchies[0], "inner"), "/sys/fs/cgroup/inner");

  // The host's mount seen from inside that namespace: its root lies above the namespace root,
  // so this process's cgroup cannot be found through it.
  constexpr std::string_view outside =
      "1300 1190 0:30 /.. /mnt/host-cgroup rw - cgroup2 cgroup2 rw\n";
  Result<Layout> host = ParseLayout(outside, "0::/\n", "");
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_EQ(host->hierarchies[0].root, "/..");
  Result<std::string> own = OwnDir(host->hierarchies[0]);
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().kind(), ErrorKind::kFailedPrecondition);
}

TEST(ParseLayoutTest, BindMountedCgroupRoot) {
  // A v1 container without a cgroup namespace sees its own cgroup bind-mounted on the
  // controller's directory: the mount root and /proc/self/cgroup agree.
  constexpr std::string_view mountinfo =
      "700 690 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
      "701 690 0:38 /docker/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  Result<Layout> layout = ParseLayout(mountinfo, "4:memory:/docker/abc\n0::/docker/abc\n", "");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->mode, Mode::kHybrid);
  const Hierarchy& memory = layout->hierarchies[0];
  EXPECT_EQ(memory.root, "/docker/abc");
  EXPECT_EQ(*OwnDir(memory), "/sys/fs/cgroup/memory");
  EXPECT_EQ(*ContainerDir(memory, "inner"), "/sys/fs/cgroup/memory/inner");
  EXPECT_EQ(*ContainerDir(memory, "/docker/abc/inner"), "/sys/fs/cgroup/memory/inner");
  EXPECT_EQ(*ContainerDir(memory, "/other"), "/sys/fs/cgroup/memory/other");
}

TEST(ParseLayoutTest, PrefersTheMountShowingOwnCgroup) {
  constexpr std::string_view mountinfo =
      "40 31 0:32 /elsewhere /mnt/a rw - cgroup cgroup rw,memory\n"
      "41 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
  Result<Layout> layout = ParseLayout(mountinfo, "4:memory:/mine\n", "");
  ASSERT_TRUE(layout) << layout.error().message();
  ASSERT_EQ(layout->hierarchies.size(), 1u);
  EXPECT_EQ(layout->hierarchies[0].mount_point, "/sys/fs/cgroup/memory");
}

TEST(ParseLayoutTest, UnescapesMountPoints) {
  constexpr std::string_view mountinfo =
      "40 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n";
  Result<Layout> layout = ParseLayout(mountinfo, "8:pids:/\n", "");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(layout->hierarchies[0].mount_point, "/mnt/my cgroups");
}

TEST(ParseLayoutTest, Errors) {
  EXPECT_EQ(ParseLayout("22 1 254:0 / / rw - ext4 /dev/vda rw\n", "0::/\n", "").error().kind(),
            ErrorKind::kNotFound);
  EXPECT_EQ(ParseLayout("garbage\n", "", "").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseLayout(kHybridMountinfo, "nonsense\n", "").error().kind(),
            ErrorKind::kInvalidArgument);
  // A cgroup2 mount without a "0::" membership line cannot be placed.
  EXPECT_FALSE(ParseLayout("41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "", ""));
}

TEST(ContainerDirTest, RefusesEscapesAndEmptyPaths) {
  Hierarchy h{.mount_point = "/sys/fs/cgroup", .v2 = true};
  for (std::string_view bad : {"", "/", "../x", "a/../../b", "./a"}) {
    Result<std::string> dir = ContainerDir(h, bad);
    ASSERT_FALSE(dir) << bad;
    EXPECT_EQ(dir.error().kind(), ErrorKind::kInvalidArgument);
  }
  EXPECT_EQ(*ContainerDir(h, "//a//b/"), "/sys/fs/cgroup/a/b");
}

TEST(ModeTest, NamesRoundTrip) {
  for (Mode mode : {Mode::kV1, Mode::kV2, Mode::kHybrid}) {
    EXPECT_EQ(*ParseMode(ModeName(mode)), mode);
  }
  EXPECT_FALSE(ParseMode("v3"));
}

}  // namespace
}  // namespace berth::runtime::cgroup
