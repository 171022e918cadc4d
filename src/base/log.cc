#include "base/log.h"

#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::log {
namespace {

Level g_level = Level::kInfo;
Format g_format = Format::kText;
int g_fd = 2;

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

Result<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error" || name == "fatal" || name == "panic") return Level::kError;
  return Fail(ErrorKind::kInvalidArgument, "invalid log level \"" + std::string(name) + "\"");
}

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return Fail(ErrorKind::kInvalidArgument,
              "invalid log format \"" + std::string(name) + "\" (want text or json)");
}

void Configure(Level level, Format format, int fd) {
  g_level = level;
  g_format = format;
  g_fd = fd;
}

bool Enabled(Level level) { return level >= g_level; }

void Write(Level level, std::string_view message) {
  std::string time = FormatRfc3339Nano(std::chrono::system_clock::now());
  std::string line;
  if (g_format == Format::kJson) {
    nlohmann::json j = {{"level", LevelName(level)}, {"msg", message}, {"time", time}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    nlohmann::json quoted = message;
    line = fmt::format("time=\"{}\" level={} msg={}", time, LevelName(level),
                       quoted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  line.push_back('\n');
  (void)!::write(g_fd, line.data(), line.size());
}

}  // namespace berth::log
