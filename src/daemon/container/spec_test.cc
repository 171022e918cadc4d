#include "daemon/container/spec.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/container/user.h"

namespace berth::daemon::container {
namespace {

bool HasMount(const oci::Spec& spec, const std::string& destination, const std::string& type) {
  return std::any_of(spec.mounts.begin(), spec.mounts.end(), [&](const oci::Mount& m) {
    return m.destination == destination && m.type == type;
  });
}

const oci::Mount* FindMount(const oci::Spec& spec, const std::string& destination) {
  for (const oci::Mount& m : spec.mounts) {
    if (m.destination == destination) return &m;
  }
  return nullptr;
}

SpecInput Input() {
  return {.id = std::string(64, 'c'),
          .hostname = "cccccccccccc",
          .rootfs = "/rootfs",
          .hostname_file = "/data/hostname",
          .hosts_file = "/data/hosts",
          .resolv_conf_file = "/data/resolv.conf"};
}

TEST(ContainerSpecTest, CommandFollowsDockersEntrypointAndCmdRules) {
  oci::ContainerConfig image;
  image.entrypoint = std::vector<std::string>{"/entry"};
  image.cmd = std::vector<std::string>{"default"};
  Config config;
  EXPECT_EQ(*Command(config, image), (std::vector<std::string>{"/entry", "default"}));
  config.image.cmd = std::vector<std::string>{"mine"};
  EXPECT_EQ(*Command(config, image), (std::vector<std::string>{"/entry", "mine"}));
  Config own_entrypoint;
  own_entrypoint.image.entrypoint = std::vector<std::string>{"/other"};
  // A container's entrypoint drops the image's Cmd.
  EXPECT_EQ(*Command(own_entrypoint, image), (std::vector<std::string>{"/other"}));
  Result<std::vector<std::string>> none = Command(Config{}, oci::ContainerConfig{});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "no command specified");
}

TEST(ContainerSpecTest, EnvironmentMergesByName) {
  oci::ContainerConfig image;
  image.env = {"PATH=/image/bin", "A=image", "B=image"};
  Config config;
  config.tty = true;
  config.image.env = {"B=mine", "C=mine"};
  EXPECT_EQ(Environment(config, image, "box"),
            (std::vector<std::string>{"PATH=/image/bin", "HOSTNAME=box", "TERM=xterm", "A=image",
                                      "B=mine", "C=mine"}));
}

TEST(ContainerSpecTest, DockersDefaults) {
  Config config;
  config.image.cmd = std::vector<std::string>{"sh"};
  Result<oci::Spec> spec = BuildSpec(config, HostConfig{}, oci::ContainerConfig{}, Input());
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->process->capabilities->bounding.size(), 14u);
  EXPECT_EQ(spec->process->cwd, "/");
  EXPECT_EQ(spec->hostname, "cccccccccccc");
  EXPECT_EQ(spec->linux->cgroups_path, "/berth/" + std::string(64, 'c'));
  EXPECT_TRUE(HasMount(*spec, "/dev/shm", "tmpfs"));
  EXPECT_TRUE(HasMount(*spec, "/etc/hosts", "bind"));
  EXPECT_EQ(FindMount(*spec, "/etc/resolv.conf")->source, "/data/resolv.conf");
  EXPECT_NE(
      std::find(spec->linux->masked_paths.begin(), spec->linux->masked_paths.end(), "/proc/kcore"),
      spec->linux->masked_paths.end());
  ASSERT_EQ(spec->linux->resources->devices.size(), 1u);
  EXPECT_FALSE(spec->linux->resources->devices[0].allow);
  std::vector<std::string> namespaces;
  for (const oci::Namespace& ns : spec->linux->namespaces) namespaces.push_back(ns.type);
  EXPECT_EQ(namespaces, (std::vector<std::string>{"mount", "pid", "ipc", "uts", "network"}));
}

TEST(ContainerSpecTest, NetworkNamespaceByMode) {
  Config config;
  config.image.cmd = std::vector<std::string>{"sh"};
  auto network_ns = [&](HostConfig host, std::string netns_path) -> std::optional<oci::Namespace> {
    SpecInput input = Input();
    input.netns_path = std::move(netns_path);
    Result<oci::Spec> spec = BuildSpec(config, host, oci::ContainerConfig{}, input);
    EXPECT_TRUE(spec);
    for (const oci::Namespace& ns : spec->linux->namespaces) {
      if (ns.type == "network") return ns;
    }
    return std::nullopt;
  };
  EXPECT_EQ(network_ns({}, "/run/berth/netns/x")->path, "/run/berth/netns/x");
  EXPECT_EQ(network_ns({.network_mode = "mynet"}, "")->path, "");
  EXPECT_FALSE(network_ns({.network_mode = "host"}, "/run/berth/netns/x"));
}

TEST(ContainerSpecTest, HostConfigIsApplied) {
  Config config;
  config.image.cmd = std::vector<std::string>{"sh"};
  HostConfig host;
  host.memory = 64 << 20;
  host.nano_cpus = 1500000000;
  host.pids_limit = 10;
  host.cap_add = {"net_admin"};
  host.cap_drop = {"CAP_CHOWN"};
  host.readonly_rootfs = true;
  host.binds = {"/srv/data:/data:ro"};
  host.tmpfs = {{"/run", "size=1m"}};
  host.shm_size = 1 << 20;
  host.ulimits = {{.name = "nofile", .soft = 100, .hard = 200}};
  host.security_opt = {"no-new-privileges"};
  host.pid_mode = "host";
  SpecInput input = Input();
  Result<std::vector<MountPoint>> mounts = PlanMounts(config, host, oci::ContainerConfig{});
  ASSERT_TRUE(mounts);
  input.mounts = *mounts;
  Result<oci::Spec> spec = BuildSpec(config, host, oci::ContainerConfig{}, input);
  ASSERT_TRUE(spec) << spec.error().message();
  const oci::Resources& r = *spec->linux->resources;
  EXPECT_EQ(r.memory->limit, 64 << 20);
  EXPECT_EQ(r.memory->swap, 128 << 20);  // docker: as much swap as memory
  EXPECT_EQ(r.cpu->quota, 150000);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.pids->limit, 10);
  const auto& caps = spec->process->capabilities->bounding;
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN"), caps.end());
  EXPECT_EQ(std::find(caps.begin(), caps.end(), "CAP_CHOWN"), caps.end());
  EXPECT_TRUE(spec->root->readonly);
  const oci::Mount* data = FindMount(*spec, "/data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->source, "/srv/data");
  EXPECT_EQ(data->options, (std::vector<std::string>{"rbind", "rprivate", "ro"}));
  EXPECT_TRUE(HasMount(*spec, "/run", "tmpfs"));
  EXPECT_NE(std::find(FindMount(*spec, "/dev/shm")->options.begin(),
                      FindMount(*spec, "/dev/shm")->options.end(), "size=1048576"),
            FindMount(*spec, "/dev/shm")->options.end());
  ASSERT_EQ(spec->process->rlimits.size(), 1u);
  EXPECT_EQ(spec->process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_TRUE(spec->process->no_new_privileges);
  for (const oci::Namespace& ns : spec->linux->namespaces) EXPECT_NE(ns.type, "pid");
}

TEST(ContainerSpecTest, PrivilegedGetsEverything) {
  Config config;
  config.image.cmd = std::vector<std::string>{"sh"};
  HostConfig host;
  host.privileged = true;
  Result<oci::Spec> spec = BuildSpec(config, host, oci::ContainerConfig{}, Input());
  ASSERT_TRUE(spec);
  EXPECT_GT(spec->process->capabilities->bounding.size(), 30u);
  EXPECT_TRUE(spec->linux->masked_paths.empty());
  EXPECT_TRUE(spec->linux->resources->devices[0].allow);
}

TEST(ContainerSpecTest, BadFieldsAreNamed) {
  Config config;
  config.image.cmd = std::vector<std::string>{"sh"};
  auto error_of = [&](HostConfig host) {
    Result<oci::Spec> spec = BuildSpec(config, host, oci::ContainerConfig{}, Input());
    EXPECT_FALSE(spec);
    return spec ? std::string() : spec.error().message();
  };
  EXPECT_NE(error_of({.cap_add = {"FLY"}}).find("HostConfig.CapAdd: unknown capability"),
            std::string::npos);
  EXPECT_NE(error_of({.security_opt = {"seccomp=/x.json"}}).find("seccomp"), std::string::npos);
  EXPECT_NE(error_of({.ulimits = {{.name = "fly", .soft = 1, .hard = 1}}})
                .find("invalid ulimit type: fly"),
            std::string::npos);
  EXPECT_NE(error_of({.init = true}).find("HostConfig.Init"), std::string::npos);
}

TEST(ContainerUserTest, ResolvesLikeDocker) {
  const std::string passwd = "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n";
  const std::string group = "root:x:0:\nweb:x:1000:\nstaff:x:50:web,other\naudio:x:29:\n";
  Result<oci::User> root = ResolveUserIn("", {}, passwd, group);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  Result<oci::User> web = ResolveUserIn("web", {"audio"}, passwd, group);
  ASSERT_TRUE(web) << web.error().message();
  EXPECT_EQ(web->uid, 1000u);
  EXPECT_EQ(web->gid, 1000u);
  EXPECT_EQ(web->additional_gids, (std::vector<uint32_t>{50, 29}));
  Result<oci::User> numeric = ResolveUserIn("4242:staff", {}, passwd, group);
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 4242u);
  EXPECT_EQ(numeric->gid, 50u);
  Result<oci::User> missing = ResolveUserIn("nobody", {}, passwd, group);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "unable to find user nobody: no matching entries in passwd file");
  EXPECT_FALSE(ResolveUserIn("web:nogroup", {}, passwd, group));
}

}  // namespace
}  // namespace berth::daemon::container
