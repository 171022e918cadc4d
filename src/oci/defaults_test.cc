#include "oci/defaults.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "oci/runtime_spec_json.h"

namespace berth::oci {
namespace {

std::vector<std::string> NamespaceTypes(const Spec& spec) {
  std::vector<std::string> types;
  for (const Namespace& ns : spec.linux->namespaces) types.push_back(ns.type);
  return types;
}

const Mount& MountAt(const Spec& spec, const std::string& destination) {
  auto it = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                         [&](const Mount& m) { return m.destination == destination; });
  EXPECT_NE(it, spec.mounts.end()) << destination;
  return *it;
}

TEST(DefaultsTest, MatchesRuncSpec) {
  Spec spec = DefaultSpec(false);
  EXPECT_EQ(spec.oci_version, kRuntimeSpecVersion);
  ASSERT_TRUE(spec.process);
  EXPECT_TRUE(spec.process->terminal);
  EXPECT_EQ(spec.process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(
      spec.process->env,
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm"}));
  EXPECT_EQ(spec.process->cwd, "/");
  EXPECT_EQ(spec.process->user.uid, 0u);
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  ASSERT_TRUE(spec.process->capabilities);
  EXPECT_EQ(spec.process->capabilities->bounding, caps);
  EXPECT_EQ(spec.process->capabilities->effective, caps);
  EXPECT_EQ(spec.process->capabilities->permitted, caps);
  EXPECT_TRUE(spec.process->capabilities->inheritable.empty());
  EXPECT_TRUE(spec.process->capabilities->ambient.empty());
  ASSERT_EQ(spec.process->rlimits.size(), 1u);
  EXPECT_EQ(spec.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(spec.process->rlimits[0].soft, 1024u);
  EXPECT_EQ(spec.process->rlimits[0].hard, 1024u);
  EXPECT_TRUE(spec.process->no_new_privileges);
  ASSERT_TRUE(spec.root);
  EXPECT_EQ(spec.root->path, "rootfs");
  EXPECT_TRUE(spec.root->readonly);
  EXPECT_EQ(spec.hostname, "berth");

  std::vector<std::string> destinations;
  for (const Mount& m : spec.mounts) destinations.push_back(m.destination);
  EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                    "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
  EXPECT_EQ(MountAt(spec, "/dev/pts").options,
            (std::vector<std::string>{"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                      "mode=0620", "gid=5"}));
  EXPECT_EQ(MountAt(spec, "/sys").type, "sysfs");
  EXPECT_EQ(MountAt(spec, "/sys/fs/cgroup").options.back(), "ro");

  EXPECT_EQ(NamespaceTypes(spec),
            (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_EQ(spec.linux->masked_paths.size(), 10u);
  EXPECT_EQ(spec.linux->masked_paths.front(), "/proc/acpi");
  EXPECT_EQ(spec.linux->readonly_paths,
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"}));
  ASSERT_TRUE(spec.linux->resources);
  ASSERT_EQ(spec.linux->resources->devices.size(), 1u);
  EXPECT_FALSE(spec.linux->resources->devices[0].allow);
  EXPECT_EQ(spec.linux->resources->devices[0].access, "rwm");
  EXPECT_TRUE(spec.linux->uid_mappings.empty());
}

TEST(DefaultsTest, RootlessMapsTheCallerAndDropsWhatNeedsPrivilege) {
  Spec spec = DefaultSpec(true);
  EXPECT_EQ(NamespaceTypes(spec), (std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"}));
  ASSERT_EQ(spec.linux->uid_mappings.size(), 1u);
  EXPECT_EQ(spec.linux->uid_mappings[0].container_id, 0u);
  EXPECT_EQ(spec.linux->uid_mappings[0].host_id, geteuid());
  EXPECT_EQ(spec.linux->uid_mappings[0].size, 1u);
  ASSERT_EQ(spec.linux->gid_mappings.size(), 1u);
  EXPECT_EQ(spec.linux->gid_mappings[0].host_id, getegid());
  const Mount& sys = MountAt(spec, "/sys");
  EXPECT_EQ(sys.type, "none");
  EXPECT_EQ(sys.source, "/sys");
  EXPECT_EQ(sys.options, (std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ(
      MountAt(spec, "/dev/pts").options,
      (std::vector<std::string>{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  EXPECT_FALSE(spec.linux->resources);
  EXPECT_EQ(spec.mounts.size(), 7u);
}

TEST(DefaultsTest, RoundTripsThroughJson) {
  for (bool rootless : {false, true}) {
    std::string encoded = EncodeSpec(DefaultSpec(rootless));
    Result<Spec> decoded = DecodeSpec(encoded);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(EncodeSpec(*decoded), encoded);
  }
}

}  // namespace
}  // namespace berth::oci
