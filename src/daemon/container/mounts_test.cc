#include "daemon/container/mounts.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

namespace berth::daemon::container {
namespace {

std::string ErrorOf(const HostConfig& host, const Config& config = {},
                    const oci::ContainerConfig& image = {}) {
  Result<std::vector<MountPoint>> plan = PlanMounts(config, host, image);
  return plan ? "" : plan.error().message();
}

TEST(ParseVolumeSpecTest, BindsNamedAndAnonymousVolumes) {
  Result<MountPoint> bind = ParseVolumeSpec("/srv//data/:/data:ro,rshared");
  ASSERT_TRUE(bind) << bind.error().message();
  EXPECT_EQ(bind->type, "bind");
  EXPECT_EQ(bind->source, "/srv/data");
  EXPECT_EQ(bind->destination, "/data");
  EXPECT_FALSE(bind->rw);
  EXPECT_EQ(bind->propagation, "rshared");
  EXPECT_EQ(bind->mode, "ro,rshared");
  EXPECT_TRUE(bind->from_binds);

  Result<MountPoint> named = ParseVolumeSpec("cache:/var/cache/");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->type, "volume");
  EXPECT_EQ(named->name, "cache");
  EXPECT_EQ(named->destination, "/var/cache");
  EXPECT_EQ(named->mode, "z");
  EXPECT_TRUE(named->rw);
  EXPECT_TRUE(named->copy_data);
  EXPECT_EQ(named->propagation, "");

  Result<MountPoint> nocopy = ParseVolumeSpec("cache:/c:ro,nocopy");
  ASSERT_TRUE(nocopy);
  EXPECT_FALSE(nocopy->copy_data);
  EXPECT_FALSE(nocopy->rw);

  Result<MountPoint> anonymous = ParseVolumeSpec("/scratch");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->type, "volume");
  EXPECT_EQ(anonymous->name, "");
}

TEST(ParseVolumeSpecTest, DockersErrors) {
  auto error_of = [](std::string_view spec) {
    Result<MountPoint> p = ParseVolumeSpec(spec);
    EXPECT_FALSE(p) << spec;
    return p ? "" : p.error().message();
  };
  EXPECT_EQ(error_of("a:b:c:d"), "invalid volume specification: 'a:b:c:d'");
  EXPECT_EQ(error_of("/data:ro"), "invalid volume specification: '/data:ro'");
  EXPECT_EQ(error_of(":/data"), "invalid volume specification: ':/data'");
  EXPECT_EQ(error_of("/a:/b:rx"), "invalid mode: rx");
  EXPECT_EQ(error_of("/a:/b:ro,rw"), "invalid mode: ro,rw");
  EXPECT_EQ(error_of("data:rel"),
            "invalid volume specification: 'data:rel': invalid mount config for type \"volume\": "
            "invalid mount path: 'rel' mount path must be absolute");
  EXPECT_EQ(error_of("data:/d:shared"),
            "invalid volume specification: 'data:/d:shared': invalid mount config for type "
            "\"volume\": field BindOptions must not be specified");
  EXPECT_EQ(error_of("/a:/"),
            "invalid volume specification: '/a:/': invalid specification: destination can't be "
            "'/'");
}

TEST(PlanMountsTest, MountsOfEachType) {
  HostConfig host;
  host.mounts = {
      {.type = "bind",
       .source = "/srv",
       .target = "/srv",
       .read_only = true,
       .bind_options = BindOptions{.propagation = "rslave", .non_recursive = true}},
      {.type = "volume",
       .source = "db",
       .target = "/db",
       .volume_options =
           VolumeOptions{
               .no_copy = true,
               .labels = {{"a", "b"}},
               .driver_config = DriverConfig{.name = "local", .options = {{"type", "tmpfs"}}}}},
      {.type = "tmpfs",
       .target = "/t",
       .tmpfs_options = TmpfsOptions{.size_bytes = 1 << 20, .mode = 0700}},
  };
  Result<std::vector<MountPoint>> plan = PlanMounts({}, host, {});
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->size(), 3u);
  const MountPoint& bind = (*plan)[0];
  EXPECT_FALSE(bind.rw);
  EXPECT_EQ(bind.propagation, "rslave");
  EXPECT_TRUE(bind.non_recursive);
  EXPECT_FALSE(bind.from_binds);
  const MountPoint& volume = (*plan)[1];
  EXPECT_EQ(volume.name, "db");
  EXPECT_FALSE(volume.copy_data);
  EXPECT_EQ(volume.volume_labels.at("a"), "b");
  EXPECT_EQ(volume.volume_options.at("type"), "tmpfs");
  EXPECT_EQ(volume.mode, "");
  EXPECT_EQ((*plan)[2].tmpfs_options, "size=1048576,mode=700");

  std::vector<oci::Mount> mounts = OciMounts(*plan);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].options, (std::vector<std::string>{"bind", "rslave", "ro"}));
  EXPECT_EQ(mounts[2].type, "tmpfs");
  EXPECT_EQ(mounts[2].options,
            (std::vector<std::string>{"noexec", "nosuid", "nodev", "size=1048576", "mode=700"}));
}

TEST(PlanMountsTest, ImageVolumesBecomeAnonymousUnlessCovered) {
  oci::ContainerConfig image;
  image.volumes = {"/var/lib/db", "/logs/", "/tmp/x"};
  Config config;
  config.image.volumes = {"/extra"};
  HostConfig host;
  host.binds = {"named:/var/lib/db"};
  host.tmpfs = {{"/tmp/x", ""}};
  Result<std::vector<MountPoint>> plan = PlanMounts(config, host, image);
  ASSERT_TRUE(plan) << plan.error().message();
  std::vector<std::string> anonymous;
  for (const MountPoint& p : *plan) {
    if (p.type == "volume" && p.name.empty()) anonymous.push_back(p.destination);
  }
  EXPECT_EQ(anonymous, (std::vector<std::string>{"/extra", "/logs"}));
  EXPECT_EQ((*plan)[0].name, "named");
}

TEST(PlanMountsTest, VolumesFromGiveAnotherContainersPointsUnlessItsOwnCoverThem) {
  std::vector<MountPoint> other = {
      {.type = "volume",
       .name = "data",
       .source = "/v/data/_data",
       .destination = "/data",
       .driver = "local",
       .copy_data = true,
       .anonymous = true},
      {.type = "bind", .source = "/srv/conf", .destination = "/conf", .rw = false},
      {.type = "bind", .source = "/srv/logs", .destination = "/logs", .from_binds = true},
      {.type = "tmpfs", .destination = "/run", .tmpfs_options = "size=1m"}};
  std::vector<MountPoint> inherited = InheritMounts(other, false);
  ASSERT_EQ(inherited.size(), 3u);  // a tmpfs is the other container's own
  EXPECT_TRUE(inherited[0].rw);
  EXPECT_FALSE(inherited[0].anonymous);  // rm -v of the new container leaves it
  EXPECT_FALSE(inherited[0].copy_data);
  EXPECT_FALSE(inherited[1].rw);  // a read-only point stays so
  for (const MountPoint& p : InheritMounts(other, true)) EXPECT_FALSE(p.rw) << p.destination;

  oci::ContainerConfig image;
  image.volumes = {"/data", "/cache"};
  HostConfig host;
  host.binds = {"/mine:/logs"};
  Result<std::vector<MountPoint>> plan = PlanMounts({}, host, image, inherited);
  ASSERT_TRUE(plan) << plan.error().message();
  std::map<std::string, std::string> sources;
  for (const MountPoint& p : *plan) sources[p.destination] = p.source;
  EXPECT_EQ(
      sources,
      (std::map<std::string, std::string>{
          {"/cache", ""}, {"/conf", "/srv/conf"}, {"/data", "/v/data/_data"}, {"/logs", "/mine"}}));
}

TEST(ParseVolumesFromTest, ModesAsDockerTakesThem) {
  for (const auto& [spec, container, read_only] :
       std::vector<std::tuple<std::string, std::string, bool>>{{"db", "db", false},
                                                               {"db:ro", "db", true},
                                                               {"db:rw", "db", false},
                                                               {"db:ro,z", "db", true}}) {
    Result<VolumesFrom> from = ParseVolumesFrom(spec);
    ASSERT_TRUE(from) << spec << ": " << from.error().message();
    EXPECT_EQ(from->container, container) << spec;
    EXPECT_EQ(from->read_only, read_only) << spec;
  }
  for (const auto& [spec, message] : std::vector<std::pair<std::string, std::string>>{
           {"db:rx", "invalid mode: rx"},
           {"db:ro,rw", "invalid mode: ro,rw"},
           {"db:", "invalid mode: "},
           {":ro", "invalid volumes-from \":ro\": no container"}}) {
    Result<VolumesFrom> from = ParseVolumesFrom(spec);
    ASSERT_FALSE(from) << spec;
    EXPECT_EQ(from.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(from.error().message(), message);
  }
}

TEST(PlanMountsTest, ParentsAreMountedBeforeChildren) {
  HostConfig host;
  host.binds = {"/a:/data/cache", "/b:/data"};
  Result<std::vector<MountPoint>> plan = PlanMounts({}, host, {});
  ASSERT_TRUE(plan);
  std::vector<oci::Mount> mounts = OciMounts(*plan);
  EXPECT_EQ(mounts[0].destination, "/data");
  EXPECT_EQ(mounts[1].destination, "/data/cache");
}

TEST(PlanMountsTest, DockersMountErrors) {
  EXPECT_EQ(ErrorOf({.binds = {"/a:/d", "v1:/d/"}}), "Duplicate mount point: /d");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "bind", .target = "/d"}}}),
            "invalid mount config for type \"bind\": field Source must not be empty");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "bind", .source = "/s"}}}),
            "invalid mount config for type \"bind\": field Target must not be empty");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "tmpfs", .source = "/s", .target = "/d"}}}),
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "volume",
                                 .target = "/d",
                                 .bind_options = BindOptions{.propagation = "shared"}}}}),
            "invalid mount config for type \"volume\": field BindOptions must not be specified");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "bind",
                                 .source = "/s",
                                 .target = "/d",
                                 .volume_options = VolumeOptions{}}}}),
            "invalid mount config for type \"bind\": field VolumeOptions must not be specified");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "npipe", .source = "/s", .target = "/d"}}}),
            "invalid mount config for type \"npipe\": mount type unknown");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "bind", .source = "/s", .target = "d"}}}),
            "invalid mount config for type \"bind\": invalid mount path: 'd' mount path must be "
            "absolute");
  EXPECT_EQ(ErrorOf({.mounts = {{.type = "bind",
                                 .source = "/s",
                                 .target = "/d",
                                 .bind_options = BindOptions{.propagation = "weird"}}}}),
            "invalid mount config for type \"bind\": invalid propagation mode: weird");
}

TEST(MountPointJsonTest, DockersShapes) {
  MountPoint volume{.type = "volume",
                    .name = "db",
                    .source = "/var/lib/berth/volumes/db/_data",
                    .destination = "/db",
                    .driver = "local",
                    .mode = "z"};
  EXPECT_EQ(MountPointJson(volume).dump(),
            R"({"Type":"volume","Name":"db","Source":"/var/lib/berth/volumes/db/_data",)"
            R"("Destination":"/db","Driver":"local","Mode":"z","RW":true,"Propagation":""})");
  MountPoint bind{.type = "bind",
                  .source = "/srv",
                  .destination = "/srv",
                  .rw = false,
                  .propagation = "rprivate"};
  EXPECT_EQ(MountPointJson(bind).dump(),
            R"({"Type":"bind","Source":"/srv","Destination":"/srv","Mode":"","RW":false,)"
            R"("Propagation":"rprivate"})");
}

}  // namespace
}  // namespace berth::daemon::container
