#include "runtime/mount/plan.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <string>
#include <vector>

namespace berth::runtime::mount {
namespace {

oci::Mount M(std::string destination, std::string type, std::string source,
             std::vector<std::string> options = {}) {
  oci::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

oci::Spec BaseSpec() {
  oci::Spec spec;
  spec.root = oci::Root{"rootfs", false};
  spec.linux = oci::Linux{};
  return spec;
}

PlanOptions Options() {
  PlanOptions options;
  options.bundle = "/run/bundle";
  return options;
}

// The mounts and paths `runc spec` writes.
oci::Spec RuncDefaultSpec() {
  oci::Spec spec = BaseSpec();
  spec.root->readonly = true;
  spec.mounts = {
      M("/proc", "proc", "proc"),
      M("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      M("/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      M("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      M("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      M("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
  };
  spec.linux->masked_paths = {"/proc/kcore", "/sys/firmware"};
  spec.linux->readonly_paths = {"/proc/sys", "/proc/sysrq-trigger"};
  return spec;
}

RootfsPlan MustPlan(const oci::Spec& spec, const PlanOptions& options) {
  Result<RootfsPlan> plan = Plan(spec, options);
  EXPECT_TRUE(plan) << plan.error().message();
  return plan ? *plan : RootfsPlan{};
}

std::string PlanError(const oci::Spec& spec, const PlanOptions& options = Options()) {
  Result<RootfsPlan> plan = Plan(spec, options);
  return plan ? std::string("(no error)") : plan.error().message();
}

constexpr uint64_t kNoSuidExecDev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV;

TEST(Plan, RuncDefaultSpecInOrder) {
  RootfsPlan plan = MustPlan(RuncDefaultSpec(), Options());
  EXPECT_EQ(plan.rootfs, "/run/bundle/rootfs");
  EXPECT_TRUE(plan.readonly);
  EXPECT_EQ(plan.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_FALSE(plan.propagation_set);
  ASSERT_EQ(plan.mounts.size(), 6u);
  std::vector<std::string> destinations;
  for (const MountOp& op : plan.mounts) {
    EXPECT_EQ(op.kind, MountKind::kFilesystem) << op.destination;
    destinations.push_back(op.destination);
  }
  EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                    "/dev/mqueue", "/sys"}));
  const MountOp& dev = plan.mounts[1];
  EXPECT_EQ(dev.fs_type, "tmpfs");
  EXPECT_EQ(dev.source, "tmpfs");
  EXPECT_EQ(dev.data, (std::vector<std::string>{"mode=755", "size=65536k"}));
  EXPECT_EQ(dev.attr, (AttrChange{MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME}));
  EXPECT_EQ(plan.mounts[2].data,
            (std::vector<std::string>{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  EXPECT_EQ(plan.mounts[3].source, "shm");
  EXPECT_EQ(plan.mounts[5].attr, (AttrChange{kNoSuidExecDev | MOUNT_ATTR_RDONLY, 0}));
  EXPECT_EQ(plan.masked_paths, (std::vector<std::string>{"/proc/kcore", "/sys/firmware"}));
  EXPECT_EQ(plan.readonly_paths, (std::vector<std::string>{"/proc/sys", "/proc/sysrq-trigger"}));
}

TEST(Plan, DefaultDevicesAndSymlinks) {
  RootfsPlan plan = MustPlan(RuncDefaultSpec(), Options());
  std::vector<std::string> paths;
  for (const DeviceNode& dev : plan.devices) {
    paths.push_back(dev.path);
    EXPECT_EQ(dev.type, static_cast<mode_t>(S_IFCHR));
    EXPECT_EQ(dev.mode, 0666u);
    EXPECT_EQ(dev.uid, 0u);
    EXPECT_FALSE(dev.bind);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                             "/dev/urandom", "/dev/tty"}));
  EXPECT_EQ(plan.devices[0].major, 1u);
  EXPECT_EQ(plan.devices[0].minor, 3u);
  EXPECT_EQ(plan.devices[5].major, 5u);
  EXPECT_EQ(plan.devices[5].minor, 0u);
  ASSERT_EQ(plan.symlinks.size(), 5u);
  EXPECT_EQ(plan.symlinks[0], (DevSymlink{"/dev/fd", "/proc/self/fd", false}));
  EXPECT_EQ(plan.symlinks[3], (DevSymlink{"/dev/stderr", "/proc/self/fd/2", false}));
  EXPECT_EQ(plan.symlinks[4], (DevSymlink{"/dev/ptmx", "pts/ptmx", true}));
}

TEST(Plan, SpecDevicesOverrideDefaultsAndKeepOwnership) {
  oci::Spec spec = BaseSpec();
  spec.linux->devices = {
      {"c", "/dev/null", 1, 3, 0600, 1000, 1000},
      {"b", "/dev/sda9", 8, 9, std::nullopt, std::nullopt, std::nullopt},
      {"p", "/dev/fifo", 0, 0, 0640, std::nullopt, 5},
      {"u", "/dev/../dev/unbuffered", 4, 64, std::nullopt, std::nullopt, std::nullopt},
  };
  PlanOptions options = Options();
  RootfsPlan plan = MustPlan(spec, options);
  ASSERT_EQ(plan.devices.size(), 9u);
  EXPECT_EQ(plan.devices[0].path, "/dev/zero");
  EXPECT_EQ(plan.devices[5], (DeviceNode{"/dev/null", S_IFCHR, 1, 3, 0600, 1000, 1000, false}));
  EXPECT_EQ(plan.devices[6], (DeviceNode{"/dev/sda9", S_IFBLK, 8, 9, 0666, 0, 0, false}));
  EXPECT_EQ(plan.devices[7], (DeviceNode{"/dev/fifo", S_IFIFO, 0, 0, 0640, 0, 5, false}));
  EXPECT_EQ(plan.devices[8].path, "/dev/unbuffered");
  EXPECT_EQ(plan.devices[8].type, static_cast<mode_t>(S_IFCHR));

  options.new_user_ns = true;
  plan = MustPlan(spec, options);
  for (const DeviceNode& dev : plan.devices) {
    EXPECT_EQ(dev.bind, dev.type != S_IFIFO) << dev.path;
  }
}

TEST(Plan, DeviceErrorsNameTheField) {
  oci::Spec spec = BaseSpec();
  spec.linux->devices = {{"c", "/dev/a", 1, 3}, {"x", "/dev/b", 1, 3}};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].type: unknown device type \"x\"");
  spec.linux->devices[1] = {"c", "dev/b", 1, 3};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].path: \"dev/b\" is not an absolute path");
  spec.linux->devices[1] = {"c", "/dev/b", 4096, 3};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].major: 4096 is out of range");
  spec.linux->devices[1] = {"c", "/dev/b", 1, -1};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].minor: -1 is out of range");
  spec.linux->devices[1] = {"c", "/dev//a", 1, 5};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].path: duplicate device \"/dev/a\"");
  spec.linux->devices[1] = {"c", "/dev", 1, 5};
  EXPECT_EQ(PlanError(spec), "linux.devices[1].path: \"/dev\" cannot be a device node");
}

TEST(Plan, BindMountedDevHasNoDevicesOrSymlinks) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/dev", "bind", "/dev", {"rbind"})};
  spec.linux->devices = {{"c", "/dev/fuse", 10, 229}};
  RootfsPlan plan = MustPlan(spec, Options());
  EXPECT_TRUE(plan.devices.empty());
  EXPECT_TRUE(plan.symlinks.empty());
}

TEST(Plan, BindForms) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {
      M("/a", "bind", "/host/a"),
      M("/b", "none", "/host/b", {"rbind", "ro", "rprivate"}),
      M("/c", "tmpfs", "data/c", {"bind", "nosuid", "sync"}),
      M("/d", "", "/host/d", {"rbind", "rro"}),
      // Filesystem parameters are meaningless for a bind (runc passes them, mount(2) ignores them).
      M("/e", "bind", "/host/e", {"nosuid", "mode=755", "size=1k", "bind"}),
  };
  RootfsPlan plan = MustPlan(spec, Options());
  ASSERT_EQ(plan.mounts.size(), 5u);
  for (const MountOp& op : plan.mounts) {
    EXPECT_EQ(op.kind, MountKind::kBind) << op.destination;
    EXPECT_TRUE(op.data.empty()) << op.destination;
  }
  EXPECT_FALSE(plan.mounts[0].recursive);
  EXPECT_EQ(plan.mounts[1].source, "/host/b");
  EXPECT_TRUE(plan.mounts[1].recursive);
  EXPECT_EQ(plan.mounts[1].attr, (AttrChange{MOUNT_ATTR_RDONLY, 0}));
  EXPECT_EQ(plan.mounts[1].propagation, uint64_t{MS_PRIVATE});
  EXPECT_TRUE(plan.mounts[1].propagation_recursive);
  EXPECT_EQ(plan.mounts[2].source, "/run/bundle/data/c");
  EXPECT_EQ(plan.mounts[3].recursive_attr, (AttrChange{MOUNT_ATTR_RDONLY, 0}));
}

TEST(Plan, ChrootWhenTheMountNamespaceIsShared) {
  EXPECT_FALSE(MustPlan(RuncDefaultSpec(), Options()).chroot);
  PlanOptions shared = Options();
  shared.new_mount_ns = false;
  RootfsPlan plan = MustPlan(RuncDefaultSpec(), shared);
  EXPECT_TRUE(plan.chroot);
  EXPECT_EQ(plan.propagation, uint64_t{MS_SLAVE | MS_REC});
}

TEST(Plan, BindErrorsNameTheField) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/a", "bind", "/host/a"), M("/b", "bind", "")};
  EXPECT_EQ(PlanError(spec), "mounts[1].source: required for a bind mount");
  spec.mounts[1] = M("/b", "bind", "/x", {"rbind", "tmpcopyup"});
  EXPECT_EQ(PlanError(spec), "mounts[1].options: tmpcopyup needs a tmpfs mount");
}

TEST(Plan, DestinationsAreCleanAndAbsolute) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("run/x", "tmpfs", "tmpfs"), M("/a/../../b/./c/", "tmpfs", "tmpfs")};
  RootfsPlan plan = MustPlan(spec, Options());
  EXPECT_EQ(plan.mounts[0].destination, "/run/x");
  EXPECT_EQ(plan.mounts[1].destination, "/b/c");
  spec.mounts[1].destination = "/..";
  EXPECT_EQ(PlanError(spec), "mounts[1].destination: cannot mount over /");
  spec.mounts[1].destination = "";
  EXPECT_EQ(PlanError(spec), "mounts[1].destination: required");
}

TEST(Plan, MountErrorsNameTheField) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/a", "tmpfs", "tmpfs"), M("/b", "tmpfs", "tmpfs"), M("/c", "tmpfs", "tmpfs"),
                 M("/d", "tmpfs", "tmpfs", {"rprivate", "rshared"})};
  EXPECT_EQ(PlanError(spec), "mounts[3].options: more than one propagation (rprivate, rshared)");
  spec.mounts[3] = M("/d", "", "x");
  EXPECT_EQ(PlanError(spec), "mounts[3].type: required unless bind");
  spec.mounts[3] = M("/d", "proc", "proc", {"tmpcopyup"});
  EXPECT_EQ(PlanError(spec), "mounts[3].options: tmpcopyup needs a tmpfs mount");
  spec.mounts[3] = M("/d", "bind", "/x", {"rbind", "idmap"});
  Result<RootfsPlan> idmap = Plan(spec, Options());
  ASSERT_FALSE(idmap);
  EXPECT_EQ(idmap.error().kind(), ErrorKind::kNotImplemented);
  EXPECT_EQ(idmap.error().message(),
            "mounts[3].options: idmap: idmapped mounts are not implemented");
  spec.mounts[3] = M("/d", "bind", "/x", {"rbind"});
  spec.mounts[3].uid_mappings = {{0, 1000, 1}};
  EXPECT_EQ(PlanError(spec), "mounts[3].uidMappings: idmapped mounts are not implemented");
}

TEST(Plan, TmpfsCopyUpAndRemount) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/etc", "tmpfs", "tmpfs", {"tmpcopyup", "size=1m"}),
                 M("/proc", "proc", "proc", {"remount", "ro", "hidepid=2"})};
  RootfsPlan plan = MustPlan(spec, Options());
  EXPECT_TRUE(plan.mounts[0].copy_up);
  EXPECT_EQ(plan.mounts[0].data, std::vector<std::string>{"size=1m"});
  EXPECT_EQ(plan.mounts[1].kind, MountKind::kRemount);
  EXPECT_EQ(plan.mounts[1].attr, (AttrChange{MOUNT_ATTR_RDONLY, 0}));
  EXPECT_EQ(plan.mounts[1].data, std::vector<std::string>{"hidepid=2"});
}

TEST(Plan, SysfsInAUserNamespaceWithoutNetNamespaceIsBound) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/sys", "sysfs", "sysfs", {"ro", "nosuid"})};
  PlanOptions options = Options();
  options.new_user_ns = true;
  RootfsPlan plan = MustPlan(spec, options);
  EXPECT_EQ(plan.mounts[0].kind, MountKind::kBind);
  EXPECT_EQ(plan.mounts[0].source, "/sys");
  EXPECT_TRUE(plan.mounts[0].recursive);
  EXPECT_EQ(plan.mounts[0].attr, (AttrChange{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0}));
  options.new_net_ns = true;
  plan = MustPlan(spec, options);
  EXPECT_EQ(plan.mounts[0].kind, MountKind::kFilesystem);
  EXPECT_EQ(plan.mounts[0].fs_type, "sysfs");
}

TEST(Plan, CgroupV2) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"})};
  PlanOptions options = Options();
  EXPECT_EQ(PlanError(spec, options),
            "mounts[0]: a cgroup mount needs the container's cgroup, none is known");
  options.cgroup_v2_dir = "/sys/fs/cgroup/ctr";
  RootfsPlan plan = MustPlan(spec, options);
  ASSERT_EQ(plan.mounts.size(), 1u);
  EXPECT_EQ(plan.mounts[0].kind, MountKind::kBind);
  EXPECT_EQ(plan.mounts[0].source, "/sys/fs/cgroup/ctr");
  EXPECT_TRUE(plan.mounts[0].recursive);
  EXPECT_EQ(plan.mounts[0].attr, (AttrChange{MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY, 0}));
  options.new_cgroup_ns = true;
  plan = MustPlan(spec, options);
  ASSERT_EQ(plan.mounts.size(), 1u);
  EXPECT_EQ(plan.mounts[0].kind, MountKind::kFilesystem);
  EXPECT_EQ(plan.mounts[0].fs_type, "cgroup2");
  EXPECT_EQ(plan.mounts[0].destination, "/sys/fs/cgroup");
}

TEST(Plan, CgroupV1Hybrid) {
  oci::Spec spec = BaseSpec();
  spec.mounts = {M("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"})};
  PlanOptions options = Options();
  options.cgroup_v1_dirs = {{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/ctr"},
                            {"name=systemd", "/sys/fs/cgroup/systemd/ctr"}};
  options.cgroup_v2_dir = "/sys/fs/cgroup/unified/ctr";
  RootfsPlan plan = MustPlan(spec, options);
  ASSERT_EQ(plan.mounts.size(), 5u);
  const MountOp& tmpfs = plan.mounts[0];
  EXPECT_EQ(tmpfs.kind, MountKind::kFilesystem);
  EXPECT_EQ(tmpfs.fs_type, "tmpfs");
  EXPECT_EQ(tmpfs.attr, (AttrChange{MOUNT_ATTR_NOSUID, 0}));  // read-only only at the end
  EXPECT_EQ(plan.mounts[1].destination, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(plan.mounts[1].source, "/sys/fs/cgroup/cpu,cpuacct/ctr");
  EXPECT_EQ(plan.mounts[2].destination, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(plan.mounts[3].destination, "/sys/fs/cgroup/unified");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(plan.mounts[i].kind, MountKind::kBind);
    EXPECT_EQ(plan.mounts[i].attr, (AttrChange{MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY, 0}));
  }
  EXPECT_EQ(plan.mounts[4].kind, MountKind::kRemount);
  EXPECT_EQ(plan.mounts[4].destination, "/sys/fs/cgroup");
  EXPECT_EQ(plan.mounts[4].attr, (AttrChange{MOUNT_ATTR_RDONLY, 0}));

  options.cgroup_v1_dirs = {{"../x", "/y"}};
  EXPECT_EQ(PlanError(spec, options), "mounts[0]: bad cgroup v1 hierarchy name \"../x\"");
}

TEST(Plan, Root) {
  oci::Spec spec = BaseSpec();
  spec.root->path = "/var/lib/rootfs/";
  EXPECT_EQ(MustPlan(spec, Options()).rootfs, "/var/lib/rootfs");
  spec.root->path = "rootfs";
  PlanOptions options = Options();
  options.bundle = "bundle";
  EXPECT_EQ(PlanError(spec, options),
            "root.path: \"rootfs\" is relative and the bundle \"bundle\" is not an absolute path");
  spec.root->path = "";
  EXPECT_EQ(PlanError(spec), "root.path: required");
  spec.root.reset();
  EXPECT_EQ(PlanError(spec), "root: required");
}

TEST(Plan, RootfsPropagation) {
  struct Case {
    const char* value;
    unsigned long flags;
  };
  for (Case c : {Case{"private", MS_PRIVATE}, Case{"rprivate", MS_PRIVATE | MS_REC},
                 Case{"shared", MS_SHARED}, Case{"rshared", MS_SHARED | MS_REC},
                 Case{"slave", MS_SLAVE}, Case{"rslave", MS_SLAVE | MS_REC},
                 Case{"unbindable", MS_UNBINDABLE}, Case{"runbindable", MS_UNBINDABLE | MS_REC}}) {
    oci::Spec spec = BaseSpec();
    spec.linux->rootfs_propagation = c.value;
    RootfsPlan plan = MustPlan(spec, Options());
    EXPECT_EQ(plan.propagation, c.flags) << c.value;
    EXPECT_TRUE(plan.propagation_set) << c.value;
  }
  oci::Spec spec = BaseSpec();
  spec.linux->rootfs_propagation = "rsharde";
  EXPECT_EQ(PlanError(spec), "linux.rootfsPropagation: unknown propagation \"rsharde\"");
}

TEST(Plan, MaskedAndReadonlyPathsMustBeAbsolute) {
  oci::Spec spec = BaseSpec();
  spec.linux->masked_paths = {"/proc/kcore", "proc/keys"};
  EXPECT_EQ(PlanError(spec), "linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");
  spec.linux->masked_paths = {"/proc//kcore/"};
  spec.linux->readonly_paths = {"sys"};
  EXPECT_EQ(PlanError(spec), "linux.readonlyPaths[0]: \"sys\" is not an absolute path");
  spec.linux->readonly_paths = {};
  EXPECT_EQ(MustPlan(spec, Options()).masked_paths, std::vector<std::string>{"/proc/kcore"});
}

TEST(Plan, NoPivot) {
  PlanOptions options = Options();
  options.no_pivot = true;
  EXPECT_TRUE(MustPlan(BaseSpec(), options).no_pivot);
  EXPECT_FALSE(MustPlan(BaseSpec(), Options()).no_pivot);
}

TEST(CleanPath, Lexical) {
  EXPECT_EQ(CleanPath(""), "/");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("a/b"), "/a/b");
  EXPECT_EQ(CleanPath("//a//b//"), "/a/b");
  EXPECT_EQ(CleanPath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CleanPath("/../../etc"), "/etc");
  EXPECT_EQ(CleanPath("a/../.."), "/");
}

}  // namespace
}  // namespace berth::runtime::mount
