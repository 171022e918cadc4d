// Process-wide logging to one file descriptor, as text (logfmt, like logrus) or as one JSON object
// a line (what runc writes with --log-format json, read by podman and containerd). Configure() once
// at start-up, before threads exist; writing is thread-safe (one write(2) per line).
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "base/result.h"

namespace berth::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

Result<Level> ParseLevel(std::string_view name);
Result<Format> ParseFormat(std::string_view name);

// Configure sets the threshold, the format and the target fd (not owned; 2 by default).
void Configure(Level level, Format format, int fd);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kWarn)) Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kError)) Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace berth::log
