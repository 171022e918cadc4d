// A container's health check as docker runs it: the Healthcheck of the image merged with the
// container's, checked and given docker's defaults, the probe's command, and the state machine
// that turns probe results into State.Health (starting, healthy, unhealthy; the failing streak;
// the last five results). Pure (the daemon's scheduler in containers_health.cc runs the probes);
// thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::daemon::container {

enum class HealthStatus { kStarting, kHealthy, kUnhealthy };
std::string_view HealthStatusName(HealthStatus status);  // "starting", "healthy", "unhealthy"
Result<HealthStatus> ParseHealthStatus(std::string_view name);

// One probe's result (docker's HealthcheckResult). Times are RFC 3339 with nanoseconds.
struct HealthLogEntry {
  std::string start;
  std::string end;
  int exit_code = 0;  // 0 healthy; anything else failed (-1: not run or timed out)
  std::string output;

  bool operator==(const HealthLogEntry&) const = default;
};

// State.Health: kept in the record while the container has a health check.
struct Health {
  HealthStatus status = HealthStatus::kStarting;
  int failing_streak = 0;
  std::vector<HealthLogEntry> log;  // oldest first, at most kHealthLogEntries

  bool operator==(const Health&) const = default;
};

inline constexpr size_t kHealthLogEntries = 5;
inline constexpr size_t kHealthOutputLimit = 4096;  // bytes of a probe's output kept

// MergeHealthcheck is docker's merge at create: without the container's own, the image's; else
// each unset field of the container's (empty Test, zero durations and retries) from the image.
std::optional<oci::Healthcheck> MergeHealthcheck(const std::optional<oci::Healthcheck>& container,
                                                 const std::optional<oci::Healthcheck>& image);

// CheckHealthcheck refuses what docker refuses at create (kInvalidArgument with docker's words):
// durations set below 1ms, negative retries.
Status CheckHealthcheck(const std::optional<oci::Healthcheck>& healthcheck);

// HealthcheckEnabled: a Test other than absent, empty or ["NONE"].
bool HealthcheckEnabled(const std::optional<oci::Healthcheck>& healthcheck);

// The timing of probes with docker's defaults for unset fields.
struct HealthTiming {
  std::chrono::nanoseconds interval{std::chrono::seconds(30)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(30)};
  std::chrono::nanoseconds start_period{0};
  std::chrono::nanoseconds start_interval{std::chrono::seconds(5)};
  int retries = 3;
};
HealthTiming TimingOf(const oci::Healthcheck& healthcheck);

// NextProbeDelay is how long after a probe (or the start) the next one runs: the start interval
// while the container is starting within its start period, else the interval.
std::chrono::nanoseconds NextProbeDelay(const HealthTiming& timing, HealthStatus status,
                                        std::chrono::nanoseconds since_start);

// ProbeCommand is the argv of a probe: ["CMD", args...] runs args; ["CMD-SHELL", command] runs
// the container's shell (Config.Shell, else /bin/sh -c) with command. Other tests are
// kInvalidArgument.
Result<std::vector<std::string>> ProbeCommand(const oci::Healthcheck& healthcheck,
                                              const std::vector<std::string>& shell);

// ProbeOutput collects a probe's output up to kHealthOutputLimit bytes; a longer output is kept
// cut with "..." appended, as docker keeps it.
class ProbeOutput {
 public:
  void Append(std::string_view bytes);
  std::string Text() const { return truncated_ ? text_ + "..." : text_; }

 private:
  std::string text_;
  bool truncated_ = false;
};

// ApplyProbeResult records result in health: success resets the streak and makes the container
// healthy; a failure counts in the streak (not while it is starting within its start period,
// since_start being the time from the container's start to the probe's) and makes it unhealthy
// once the streak reaches the retries. Returns whether the status changed.
bool ApplyProbeResult(Health& health, HealthLogEntry result, const HealthTiming& timing,
                      std::chrono::nanoseconds since_start);

// TimeoutOutput is the output docker records for a probe killed at its timeout:
// "Health check exceeded timeout (30s)", with what the probe wrote appended after ": ".
std::string TimeoutOutput(std::chrono::nanoseconds timeout, const std::string& output);

// The label that opts a container into a restart when it turns unhealthy (a berth addition;
// docker's clients set it with --label, berth's CLI with --restart-on-unhealthy).
inline constexpr std::string_view kRestartOnUnhealthyLabel = "berth.restart-on-unhealthy";
// RestartsOnUnhealthy: the label is set to a true value as Go's ParseBool reads it (1, t, true).
bool RestartsOnUnhealthy(const std::map<std::string, std::string>& labels);

// GoDuration writes a duration as Go's time.Duration String does: "30s", "1m30s", "1.5s",
// "500ms", "0s".
std::string GoDuration(std::chrono::nanoseconds duration);

}  // namespace berth::daemon::container
