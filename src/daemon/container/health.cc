#include "daemon/container/health.h"

#include <fmt/format.h>

#include <array>

namespace berth::daemon::container {
namespace {

using std::chrono::nanoseconds;

constexpr std::array<std::pair<HealthStatus, std::string_view>, 3> kHealthNames = {{
    {HealthStatus::kStarting, "starting"},
    {HealthStatus::kHealthy, "healthy"},
    {HealthStatus::kUnhealthy, "unhealthy"},
}};

// The digits of value / 10^digits with trailing zeros (and a bare point) dropped: "1.5", "2".
std::string Fraction(int64_t value, int digits) {
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  std::string frac = fmt::format("{:0{}}", value % scale, digits);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? out : out + "." + frac;
}

}  // namespace

std::string_view HealthStatusName(HealthStatus status) {
  for (const auto& [value, name] : kHealthNames) {
    if (value == status) return name;
  }
  return "unknown";
}

Result<HealthStatus> ParseHealthStatus(std::string_view name) {
  for (const auto& [value, known] : kHealthNames) {
    if (known == name) return value;
  }
  return Fail(ErrorKind::kInvalidArgument, "unknown health status \"" + std::string(name) + "\"");
}

std::optional<oci::Healthcheck> MergeHealthcheck(const std::optional<oci::Healthcheck>& container,
                                                 const std::optional<oci::Healthcheck>& image) {
  if (!container) return image;
  if (!image) return container;
  oci::Healthcheck out = *container;
  if (out.test.empty()) out.test = image->test;
  if (out.interval_ns == 0) out.interval_ns = image->interval_ns;
  if (out.timeout_ns == 0) out.timeout_ns = image->timeout_ns;
  if (out.start_period_ns == 0) out.start_period_ns = image->start_period_ns;
  if (out.start_interval_ns == 0) out.start_interval_ns = image->start_interval_ns;
  if (out.retries == 0) out.retries = image->retries;
  return out;
}

Status CheckHealthcheck(const std::optional<oci::Healthcheck>& h) {
  if (!h) return Ok();
  constexpr int64_t kMinimumNs = 1'000'000;  // docker's MinimumDuration, 1ms
  const std::pair<const char*, int64_t> durations[] = {{"Interval", h->interval_ns},
                                                       {"Timeout", h->timeout_ns},
                                                       {"StartPeriod", h->start_period_ns},
                                                       {"StartInterval", h->start_interval_ns}};
  for (const auto& [name, ns] : durations) {
    if (ns != 0 && ns < kMinimumNs) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{} in Healthcheck cannot be less than 1ms", name));
    }
  }
  if (h->retries < 0) {
    return Fail(ErrorKind::kInvalidArgument, "Retries in Healthcheck cannot be negative");
  }
  return Ok();
}

bool HealthcheckEnabled(const std::optional<oci::Healthcheck>& h) {
  return h && !h->test.empty() && h->test.front() != "NONE";
}

HealthTiming TimingOf(const oci::Healthcheck& h) {
  HealthTiming t;
  if (h.interval_ns > 0) t.interval = nanoseconds(h.interval_ns);
  if (h.timeout_ns > 0) t.timeout = nanoseconds(h.timeout_ns);
  if (h.start_period_ns > 0) t.start_period = nanoseconds(h.start_period_ns);
  if (h.start_interval_ns > 0) t.start_interval = nanoseconds(h.start_interval_ns);
  if (h.retries > 0) t.retries = h.retries;
  return t;
}

nanoseconds NextProbeDelay(const HealthTiming& timing, HealthStatus status,
                           nanoseconds since_start) {
  if (status == HealthStatus::kStarting && since_start < timing.start_period) {
    return timing.start_interval;
  }
  return timing.interval;
}

Result<std::vector<std::string>> ProbeCommand(const oci::Healthcheck& h,
                                              const std::vector<std::string>& shell) {
  if (!h.test.empty() && h.test.front() == "CMD" && h.test.size() > 1) {
    return std::vector<std::string>(h.test.begin() + 1, h.test.end());
  }
  if (!h.test.empty() && h.test.front() == "CMD-SHELL" && h.test.size() == 2) {
    std::vector<std::string> argv =
        shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : shell;
    argv.push_back(h.test[1]);
    return argv;
  }
  std::string test;
  for (const std::string& part : h.test) test += (test.empty() ? "" : " ") + part;
  return Fail(ErrorKind::kInvalidArgument, "unknown health check type \"" + test +
                                               "\" (want CMD args..., CMD-SHELL command or NONE)");
}

void ProbeOutput::Append(std::string_view bytes) {
  const size_t room = kHealthOutputLimit - text_.size();
  text_.append(bytes.substr(0, room));
  if (bytes.size() > room) truncated_ = true;
}

bool ApplyProbeResult(Health& health, HealthLogEntry result, const HealthTiming& timing,
                      nanoseconds since_start) {
  const HealthStatus before = health.status;
  const bool success = result.exit_code == 0;
  health.log.push_back(std::move(result));
  if (health.log.size() > kHealthLogEntries) {
    health.log.erase(health.log.begin(), health.log.end() - kHealthLogEntries);
  }
  if (success) {
    health.failing_streak = 0;
    health.status = HealthStatus::kHealthy;
  } else if (health.status != HealthStatus::kStarting || since_start >= timing.start_period) {
    ++health.failing_streak;
    if (health.failing_streak >= timing.retries) health.status = HealthStatus::kUnhealthy;
  }
  return health.status != before;
}

std::string TimeoutOutput(nanoseconds timeout, const std::string& output) {
  std::string out = "Health check exceeded timeout (" + GoDuration(timeout) + ")";
  return output.empty() ? out : out + ": " + output;
}

bool RestartsOnUnhealthy(const std::map<std::string, std::string>& labels) {
  auto it = labels.find(std::string(kRestartOnUnhealthyLabel));
  if (it == labels.end()) return false;
  const std::string& v = it->second;
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

std::string GoDuration(nanoseconds duration) {
  int64_t ns = duration.count();
  if (ns == 0) return "0s";
  const std::string sign = ns < 0 ? "-" : "";
  if (ns < 0) ns = -ns;
  if (ns < 1'000) return sign + std::to_string(ns) + "ns";
  if (ns < 1'000'000) return sign + Fraction(ns, 3) + "µs";
  if (ns < 1'000'000'000) return sign + Fraction(ns, 6) + "ms";
  const int64_t hours = ns / 3'600'000'000'000;
  const int64_t minutes = ns / 60'000'000'000 % 60;
  const std::string seconds = Fraction(ns % 60'000'000'000, 9) + "s";
  if (hours > 0) return fmt::format("{}{}h{}m{}", sign, hours, minutes, seconds);
  if (minutes > 0) return fmt::format("{}{}m{}", sign, minutes, seconds);
  return sign + seconds;
}

}  // namespace berth::daemon::container
