#include "daemon/container/health.h"

#include <gtest/gtest.h>

namespace berth::daemon::container {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(HealthTest, MergeTakesUnsetFieldsFromTheImage) {
  const oci::Healthcheck image{.test = {"CMD", "check"},
                               .interval_ns = 5'000'000'000,
                               .timeout_ns = 2'000'000'000,
                               .retries = 4};
  EXPECT_EQ(MergeHealthcheck(std::nullopt, image), image);
  EXPECT_EQ(MergeHealthcheck(std::nullopt, std::nullopt), std::nullopt);
  const oci::Healthcheck mine{.interval_ns = 1'000'000'000, .start_period_ns = 7};
  EXPECT_EQ(MergeHealthcheck(mine, std::nullopt), mine);
  const oci::Healthcheck merged{.test = {"CMD", "check"},
                                .interval_ns = 1'000'000'000,
                                .timeout_ns = 2'000'000'000,
                                .start_period_ns = 7,
                                .retries = 4};
  EXPECT_EQ(MergeHealthcheck(mine, image), merged);
  // NONE from the container disables the image's check.
  const oci::Healthcheck none{.test = {"NONE"}};
  EXPECT_FALSE(HealthcheckEnabled(MergeHealthcheck(none, image)));
  EXPECT_TRUE(HealthcheckEnabled(image));
  EXPECT_FALSE(HealthcheckEnabled(oci::Healthcheck{}));
  EXPECT_FALSE(HealthcheckEnabled(std::nullopt));
}

TEST(HealthTest, CheckRefusesWhatDockerRefuses) {
  EXPECT_TRUE(CheckHealthcheck(std::nullopt));
  EXPECT_TRUE(CheckHealthcheck(oci::Healthcheck{.test = {"CMD", "x"}, .interval_ns = 1'000'000}));
  Status short_interval = CheckHealthcheck(oci::Healthcheck{.interval_ns = 999'999});
  ASSERT_FALSE(short_interval);
  EXPECT_EQ(short_interval.error().message(), "Interval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(CheckHealthcheck(oci::Healthcheck{.start_interval_ns = 5}).error().message(),
            "StartInterval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(CheckHealthcheck(oci::Healthcheck{.retries = -1}).error().message(),
            "Retries in Healthcheck cannot be negative");
  EXPECT_EQ(CheckHealthcheck(oci::Healthcheck{.retries = -1}).error().kind(),
            ErrorKind::kInvalidArgument);
}

TEST(HealthTest, TimingDefaults) {
  const HealthTiming t = TimingOf(oci::Healthcheck{.test = {"CMD", "x"}});
  EXPECT_EQ(t.interval, seconds(30));
  EXPECT_EQ(t.timeout, seconds(30));
  EXPECT_EQ(t.start_period, seconds(0));
  EXPECT_EQ(t.start_interval, seconds(5));
  EXPECT_EQ(t.retries, 3);
  const HealthTiming set = TimingOf(oci::Healthcheck{.interval_ns = 2'000'000'000,
                                                     .timeout_ns = 1'000'000'000,
                                                     .start_period_ns = 60'000'000'000,
                                                     .start_interval_ns = 1'000'000'000,
                                                     .retries = 1});
  EXPECT_EQ(set.interval, seconds(2));
  EXPECT_EQ(set.retries, 1);
  // The start interval applies while starting within the start period only.
  EXPECT_EQ(NextProbeDelay(set, HealthStatus::kStarting, seconds(10)), seconds(1));
  EXPECT_EQ(NextProbeDelay(set, HealthStatus::kStarting, seconds(60)), seconds(2));
  EXPECT_EQ(NextProbeDelay(set, HealthStatus::kHealthy, seconds(10)), seconds(2));
  EXPECT_EQ(NextProbeDelay(t, HealthStatus::kStarting, seconds(0)), seconds(30));
}

TEST(HealthTest, ProbeCommand) {
  using Strings = std::vector<std::string>;
  EXPECT_EQ(*ProbeCommand({.test = {"CMD", "/check", "-q"}}, {}), (Strings{"/check", "-q"}));
  EXPECT_EQ(*ProbeCommand({.test = {"CMD-SHELL", "exit 1"}}, {}),
            (Strings{"/bin/sh", "-c", "exit 1"}));
  EXPECT_EQ(*ProbeCommand({.test = {"CMD-SHELL", "x"}}, {"/bin/bash", "-ec"}),
            (Strings{"/bin/bash", "-ec", "x"}));
  Result<Strings> bad = ProbeCommand({.test = {"PING", "x"}}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "unknown health check type \"PING x\" (want CMD args..., CMD-SHELL command or NONE)");
  EXPECT_FALSE(ProbeCommand({.test = {"CMD"}}, {}));
}

TEST(HealthTest, OutputIsCutAt4KiB) {
  ProbeOutput small;
  small.Append("ok\n");
  EXPECT_EQ(small.Text(), "ok\n");
  ProbeOutput big;
  big.Append(std::string(4000, 'a'));
  big.Append(std::string(200, 'b'));
  EXPECT_EQ(big.Text(), std::string(4000, 'a') + std::string(96, 'b') + "...");
  big.Append("more");
  EXPECT_EQ(big.Text().size(), kHealthOutputLimit + 3);
}

HealthLogEntry Result(int code, std::string output = "") {
  return {.start = "s", .end = "e", .exit_code = code, .output = std::move(output)};
}

TEST(HealthTest, StateMachine) {
  const HealthTiming timing{.start_period = seconds(10), .retries = 2};
  Health h;
  // Failures within the start period do not count.
  EXPECT_FALSE(ApplyProbeResult(h, Result(1), timing, seconds(1)));
  EXPECT_EQ(h.status, HealthStatus::kStarting);
  EXPECT_EQ(h.failing_streak, 0);
  // After it, they do; the retries'th makes the container unhealthy.
  EXPECT_FALSE(ApplyProbeResult(h, Result(1), timing, seconds(11)));
  EXPECT_EQ(h.failing_streak, 1);
  EXPECT_TRUE(ApplyProbeResult(h, Result(2), timing, seconds(12)));
  EXPECT_EQ(h.status, HealthStatus::kUnhealthy);
  EXPECT_EQ(h.failing_streak, 2);
  EXPECT_FALSE(ApplyProbeResult(h, Result(-1), timing, seconds(13)));
  EXPECT_EQ(h.failing_streak, 3);
  // A success resets the streak.
  EXPECT_TRUE(ApplyProbeResult(h, Result(0, "ok"), timing, seconds(14)));
  EXPECT_EQ(h.status, HealthStatus::kHealthy);
  EXPECT_EQ(h.failing_streak, 0);
  // Once healthy, failures count even within the start period.
  Health early{.status = HealthStatus::kHealthy};
  ApplyProbeResult(early, Result(1), timing, seconds(1));
  EXPECT_EQ(early.failing_streak, 1);
  // The log keeps the last five results.
  EXPECT_EQ(h.log.size(), 5u);
  ApplyProbeResult(h, Result(0, "last"), timing, seconds(15));
  ASSERT_EQ(h.log.size(), kHealthLogEntries);
  EXPECT_EQ(h.log.back().output, "last");
  EXPECT_EQ(h.log.front().exit_code, 1);
  EXPECT_EQ(h.log.front().output, "");
}

TEST(HealthTest, Names) {
  EXPECT_EQ(HealthStatusName(HealthStatus::kStarting), "starting");
  EXPECT_EQ(*ParseHealthStatus("unhealthy"), HealthStatus::kUnhealthy);
  EXPECT_FALSE(ParseHealthStatus("none"));
  EXPECT_TRUE(RestartsOnUnhealthy({{"berth.restart-on-unhealthy", "true"}}));
  EXPECT_TRUE(RestartsOnUnhealthy({{"berth.restart-on-unhealthy", "1"}}));
  EXPECT_FALSE(RestartsOnUnhealthy({{"berth.restart-on-unhealthy", "no"}}));
  EXPECT_FALSE(RestartsOnUnhealthy({}));
}

TEST(HealthTest, GoDurations) {
  EXPECT_EQ(GoDuration(seconds(30)), "30s");
  EXPECT_EQ(GoDuration(seconds(90)), "1m30s");
  EXPECT_EQ(GoDuration(seconds(3600)), "1h0m0s");
  EXPECT_EQ(GoDuration(nanoseconds(1'500'000'000)), "1.5s");
  EXPECT_EQ(GoDuration(nanoseconds(500'000'000)), "500ms");
  EXPECT_EQ(GoDuration(nanoseconds(1'500)), "1.5µs");
  EXPECT_EQ(GoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(TimeoutOutput(seconds(1), ""), "Health check exceeded timeout (1s)");
  EXPECT_EQ(TimeoutOutput(seconds(1), "partial\n"),
            "Health check exceeded timeout (1s): partial\n");
}

}  // namespace
}  // namespace berth::daemon::container
