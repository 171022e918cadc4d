#include "daemon/config.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::daemon {
namespace {

Status Refuse(std::string_view path, std::string_view what) {
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("unable to configure the daemon with file {}: {}", path, what));
}

}  // namespace

Status MergeDaemonJson(std::string_view text, std::string_view path,
                       const std::set<std::string>& flags_set, DaemonConfig* config) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Refuse(path, "not a JSON object");
  DaemonConfig next = *config;  // config changes only when the whole file is good
  std::map<std::string, std::string*> strings = {
      {"data-root", &next.data_root}, {"exec-root", &next.exec_root},
      {"pidfile", &next.pidfile},     {"log-level", &next.log_level},
      {"group", &next.group},         {"storage-driver", &next.storage_driver},
      {"tlscacert", &next.tlscacert}, {"tlscert", &next.tlscert},
      {"tlskey", &next.tlskey}};
  std::map<std::string, bool*> bools = {{"tls", &next.tls}, {"tlsverify", &next.tlsverify}};
  std::map<std::string, std::vector<std::string>*> lists = {
      {"hosts", &next.hosts},
      {"registry-mirrors", &next.registry_mirrors},
      {"insecure-registries", &next.insecure_registries},
      {"dns", &next.dns}};
  std::map<std::string, int*> counts = {
      {"max-concurrent-downloads", &next.max_concurrent_downloads},
      {"max-concurrent-uploads", &next.max_concurrent_uploads}};
  std::vector<std::string> unknown, twice;
  for (const auto& [key, value] : json.items()) {
    if (!lists.contains(key) && !strings.contains(key) && !counts.contains(key) &&
        !bools.contains(key)) {
      unknown.push_back(key);
      continue;
    }
    if (flags_set.contains(key)) {
      twice.push_back(key);
      continue;
    }
    if (lists.contains(key)) {
      const std::string expected = fmt::format("{}: expected a list of strings", key);
      if (!value.is_array()) return Refuse(path, expected);
      lists[key]->clear();
      for (const auto& item : value) {
        if (!item.is_string()) return Refuse(path, expected);
        lists[key]->push_back(item.get<std::string>());
      }
    } else if (bools.contains(key)) {
      if (!value.is_boolean()) return Refuse(path, fmt::format("{}: expected true or false", key));
      *bools[key] = value.get<bool>();
    } else if (counts.contains(key)) {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1024) {
        return Refuse(path, fmt::format("{}: expected a number from 1 to 1024", key));
      }
      *counts[key] = value.get<int>();
    } else if (!value.is_string()) {
      return Refuse(path, fmt::format("{}: expected a string", key));
    } else {
      *strings[key] = value.get<std::string>();
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
