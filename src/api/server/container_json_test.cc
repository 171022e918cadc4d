#include "api/server/container_json.h"

#include <gtest/gtest.h>

#include "image/store/go_time.h"

namespace berth::api::server {
namespace {

using daemon::container::ContainerStatus;
using daemon::container::Health;
using daemon::container::HealthStatus;

TEST(ContainerJsonTest, StatusTextShowsTheHealth) {
  const auto now = *image::store::ParseRfc3339("2026-01-01T00:00:03Z");
  daemon::container::State s{.status = ContainerStatus::kRunning,
                             .started_at = "2026-01-01T00:00:00Z"};
  EXPECT_EQ(StatusText(s, now), "Up 3 seconds");
  s.health = Health{.status = HealthStatus::kStarting};
  EXPECT_EQ(StatusText(s, now), "Up 3 seconds (health: starting)");
  s.health->status = HealthStatus::kHealthy;
  EXPECT_EQ(StatusText(s, now), "Up 3 seconds (healthy)");
  s.health->status = HealthStatus::kUnhealthy;
  EXPECT_EQ(StatusText(s, now), "Up 3 seconds (unhealthy)");
  s.status = ContainerStatus::kPaused;
  EXPECT_EQ(StatusText(s, now), "Up 3 seconds (Paused)");
}

TEST(ContainerJsonTest, InspectShowsStateHealth) {
  daemon::ContainerView view;
  EXPECT_FALSE(InspectJson(view)["State"].contains("Health"));
  view.record.state.health =
      Health{.status = HealthStatus::kUnhealthy,
             .failing_streak = 3,
             .log = {{.start = "a", .end = "b", .exit_code = 1, .output = "bad\n"}}};
  EXPECT_EQ(InspectJson(view)["State"]["Health"],
            nlohmann::ordered_json::parse(R"({"Status":"unhealthy","FailingStreak":3,
              "Log":[{"Start":"a","End":"b","ExitCode":1,"Output":"bad\n"}]})"));
}

TEST(ContainerJsonTest, InspectShowsTheGraphDriver) {
  daemon::ContainerView view;
  view.graph_driver = {.name = "overlay2", .data = {}};
  EXPECT_EQ(InspectJson(view)["Driver"], "overlay2");
  EXPECT_EQ(InspectJson(view)["GraphDriver"].dump(), R"({"Data":null,"Name":"overlay2"})");
  view.graph_driver.data = {{"UpperDir", "/s/3/fs"}, {"MergedDir", "/run/c/rootfs"}};
  EXPECT_EQ(InspectJson(view)["GraphDriver"].dump(),
            R"({"Data":{"MergedDir":"/run/c/rootfs","UpperDir":"/s/3/fs"},"Name":"overlay2"})");
}

}  // namespace
}  // namespace berth::api::server
