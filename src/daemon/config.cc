#include "daemon/config.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::daemon {
namespace {

tl::unexpected<Error> Refuse(std::string_view path, std::string_view what) {
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("unable to configure the daemon with file {}: {}", path, what));
}

// RuntimesOf reads daemon.json's "runtimes": {"name": {"path": "...", "runtimeArgs": [...]}}.
Result<std::map<std::string, OciRuntime>> RuntimesOf(const nlohmann::json& value,
                                                     std::string_view path) {
  std::map<std::string, OciRuntime> runtimes;
  if (!value.is_object()) return Refuse(path, "runtimes: expected an object");
  for (const auto& [name, entry] : value.items()) {
    const std::string where = "runtimes." + name;
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string() ||
        entry["path"].get<std::string>().empty()) {
      return Refuse(path, where + ": expected an object with a \"path\"");
    }
    OciRuntime runtime{.path = entry["path"].get<std::string>(), .args = {}};
    for (const auto& [key, field] : entry.items()) {
      if (key == "path") continue;
      if (key != "runtimeArgs") return Refuse(path, fmt::format("{}: unknown key {}", where, key));
      if (!field.is_array())
        return Refuse(path, where + ".runtimeArgs: expected a list of strings");
      for (const auto& arg : field) {
        if (!arg.is_string()) {
          return Refuse(path, where + ".runtimeArgs: expected a list of strings");
        }
        runtime.args.push_back(arg.get<std::string>());
      }
    }
    runtimes[name] = std::move(runtime);
  }
  return runtimes;
}

}  // namespace

Result<std::pair<std::string, OciRuntime>> ParseAddRuntime(std::string_view flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == flag.size()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid runtime \"{}\": expected NAME=PATH", flag));
  }
  return std::pair{std::string(flag.substr(0, eq)),
                   OciRuntime{.path = std::string(flag.substr(eq + 1)), .args = {}}};
}

Status CheckRuntimes(const DaemonConfig& config) {
  if (config.runtimes.contains(kBuiltinRuntime)) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("runtime name '{}' is reserved", kBuiltinRuntime));
  }
  if (config.default_runtime != kBuiltinRuntime &&
      !config.runtimes.contains(config.default_runtime)) {
    return Fail(
        ErrorKind::kInvalidArgument,
        fmt::format("specified default runtime '{}' does not exist", config.default_runtime));
  }
  return Ok();
}

namespace {

// Settings are daemon.json's keys by the type of their values, each pointing into a config.
struct Settings {
  std::map<std::string, std::string*> strings;
  std::map<std::string, std::vector<std::string>*> lists;
  std::map<std::string, int*> counts;
  std::map<std::string, bool*> bools;
  std::map<std::string, OciRuntime>* runtimes;

  bool Knows(const std::string& key) const {
    return strings.contains(key) || lists.contains(key) || counts.contains(key) ||
           bools.contains(key) || key == "runtimes";
  }
};

Settings SettingsOf(DaemonConfig& c) {
  return {
      .strings = {{"data-root", &c.data_root},
                  {"exec-root", &c.exec_root},
                  {"pidfile", &c.pidfile},
                  {"log-level", &c.log_level},
                  {"group", &c.group},
                  {"storage-driver", &c.storage_driver},
                  {"tlscacert", &c.tlscacert},
                  {"tlscert", &c.tlscert},
                  {"tlskey", &c.tlskey},
                  {"init-path", &c.init_path},
                  {"default-runtime", &c.default_runtime}},
      .lists = {{"hosts", &c.hosts},
                {"registry-mirrors", &c.registry_mirrors},
                {"insecure-registries", &c.insecure_registries},
                {"dns", &c.dns}},
      .counts = {{"max-concurrent-downloads", &c.max_concurrent_downloads},
                 {"max-concurrent-uploads", &c.max_concurrent_uploads}},
      .bools = {{"tls", &c.tls}, {"tlsverify", &c.tlsverify}, {"live-restore", &c.live_restore}},
      .runtimes = &c.runtimes};
}

// Set stores the value of a known key, refusing a value of the wrong type.
Status Set(Settings& settings, const std::string& key, const nlohmann::json& value,
           std::string_view path) {
  if (key == "runtimes") {
    BERTH_ASSIGN_OR_RETURN(*settings.runtimes, RuntimesOf(value, path));
  } else if (settings.bools.contains(key)) {
    if (!value.is_boolean()) return Refuse(path, fmt::format("{}: expected true or false", key));
    *settings.bools[key] = value.get<bool>();
  } else if (settings.lists.contains(key)) {
    const std::string expected = fmt::format("{}: expected a list of strings", key);
    if (!value.is_array()) return Refuse(path, expected);
    settings.lists[key]->clear();
    for (const auto& item : value) {
      if (!item.is_string()) return Refuse(path, expected);
      settings.lists[key]->push_back(item.get<std::string>());
    }
  } else if (settings.counts.contains(key)) {
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1024) {
      return Refuse(path, fmt::format("{}: expected a number from 1 to 1024", key));
    }
    *settings.counts[key] = value.get<int>();
  } else if (!value.is_string()) {
    return Refuse(path, fmt::format("{}: expected a string", key));
  } else {
    *settings.strings[key] = value.get<std::string>();
  }
  return Ok();
}

}  // namespace

Status MergeDaemonJson(std::string_view text, std::string_view path,
                       const std::set<std::string>& flags_set, DaemonConfig* config) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Refuse(path, "not a JSON object");
  DaemonConfig next = *config;  // config changes only when the whole file is good
  Settings settings = SettingsOf(next);
  std::vector<std::string> unknown, twice;
  for (const auto& [key, value] : json.items()) {
    if (!settings.Knows(key)) {
      unknown.push_back(key);
    } else if (flags_set.contains(key)) {
      twice.push_back(key);
    } else {
      BERTH_TRY(Set(settings, key, value, path));
    }
  }
  if (!unknown.empty()) {
    return Refuse(path, "the following directives don't match any configuration option: " +
                            Join(unknown, ", "));
  }
  if (!twice.empty()) {
    return Refuse(path,
                  "the following directives are specified both as a flag and in the "
                  "configuration file: " +
                      Join(twice, ", "));
  }
  *config = std::move(next);
  return Ok();
}

}  // namespace berth::daemon
