#include "image/store/import_export.h"

#include <gtest/gtest.h>

namespace berth::image::store {
namespace {

using oci::ContainerConfig;
using Strings = std::vector<std::string>;

ContainerConfig Container() {
  ContainerConfig c;
  c.user = "app";
  c.env = {"PATH=/bin", "MODE=prod"};
  c.cmd = Strings{"serve"};
  c.entrypoint = Strings{"/entry"};
  c.exposed_ports = {"80/tcp"};
  c.volumes = {"/data"};
  c.labels = {{"a", "1"}, {"b", "2"}};
  c.working_dir = "/srv";
  c.stop_signal = "SIGINT";
  c.healthcheck = oci::Healthcheck{.test = {"CMD", "check"}, .interval_ns = 5, .retries = 3};
  return c;
}

TEST(MergeConfigTest, FillsWhatTheChangesLeftEmpty) {
  ContainerConfig changed;
  changed.env = {"MODE=dev"};
  changed.exposed_ports = {"443/tcp"};
  changed.labels = {{"a", "changed"}};
  changed.healthcheck = oci::Healthcheck{.timeout_ns = 7};
  ContainerConfig out = MergeConfig(changed, Container());
  EXPECT_EQ(out.user, "app");
  EXPECT_EQ(out.env, (Strings{"MODE=dev", "PATH=/bin"}));
  EXPECT_EQ(out.cmd, Strings{"serve"});
  EXPECT_EQ(out.entrypoint, Strings{"/entry"});
  EXPECT_EQ(out.exposed_ports, (std::set<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(out.volumes, std::set<std::string>{"/data"});
  EXPECT_EQ(out.labels, (std::map<std::string, std::string>{{"a", "changed"}, {"b", "2"}}));
  EXPECT_EQ(out.working_dir, "/srv");
  EXPECT_EQ(out.stop_signal, "SIGINT");
  ASSERT_TRUE(out.healthcheck);
  EXPECT_EQ(out.healthcheck->test, (Strings{"CMD", "check"}));
  EXPECT_EQ(out.healthcheck->interval_ns, 5);
  EXPECT_EQ(out.healthcheck->timeout_ns, 7);
  EXPECT_EQ(out.healthcheck->retries, 3);
}

TEST(MergeConfigTest, CmdAndEntrypointAsDockerMergesThem) {
  // A new entrypoint keeps the changes' (absent) Cmd.
  ContainerConfig changed;
  changed.entrypoint = Strings{"/other"};
  ContainerConfig out = MergeConfig(changed, Container());
  EXPECT_EQ(out.entrypoint, Strings{"/other"});
  EXPECT_FALSE(out.cmd.has_value());
  // An empty entrypoint stays empty; the Cmd comes back.
  changed.entrypoint = Strings{};
  out = MergeConfig(changed, Container());
  EXPECT_EQ(out.entrypoint, Strings{});
  EXPECT_EQ(out.cmd, Strings{"serve"});
  // A new Cmd without entrypoint keeps the container's entrypoint.
  changed.entrypoint.reset();
  changed.cmd = Strings{"debug"};
  out = MergeConfig(changed, Container());
  EXPECT_EQ(out.entrypoint, Strings{"/entry"});
  EXPECT_EQ(out.cmd, Strings{"debug"});
}

}  // namespace
}  // namespace berth::image::store
