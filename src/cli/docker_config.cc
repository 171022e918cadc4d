#include "cli/docker_config.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "cli/credential_helper.h"

namespace berth::cli {
namespace {

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

Result<nlohmann::ordered_json> ReadConfig(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text && text.error().kind() == ErrorKind::kNotFound) return nlohmann::ordered_json::object();
  BERTH_TRY(text);
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, path + ": not a JSON object");
  }
  return json;
}

Status WriteConfig(const std::string& path, const nlohmann::ordered_json& json) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) BERTH_TRY(MakeDirs(path.substr(0, slash), 0700));
  return WriteFileAtomic(path, json.dump(1, '\t') + "\n", 0600);
}

// HelperOf names the credential helper that keeps server's login: its "credHelpers" entry, else
// "credsStore"; "" when the file keeps it.
std::string HelperOf(const nlohmann::ordered_json& json, const std::string& server) {
  auto helpers = json.find("credHelpers");
  if (helpers != json.end() && helpers->is_object()) {
    auto helper = helpers->find(server);
    if (helper != helpers->end() && helper->is_string()) return helper->get<std::string>();
  }
  auto store = json.find("credsStore");
  if (store != json.end() && store->is_string()) return store->get<std::string>();
  return "";
}

}  // namespace

std::string ConfigFilePath(const std::string& config_dir) {
  if (!config_dir.empty()) return config_dir + "/config.json";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.docker/config.json";
}

Result<std::string> ConfiguredFormat(const std::string& config_dir, const std::string& format,
                                     const std::string& key) {
  if (!format.empty()) return format;
  const std::string path = ConfigFilePath(config_dir);
  BERTH_ASSIGN_OR_RETURN(nlohmann::ordered_json json, ReadConfig(path));
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Fail(ErrorKind::kInvalidArgument, path + ": " + key + ": expected a string");
  }
  return it->get<std::string>();
}

std::string ServerKey(std::string_view domain) {
  if (domain.empty() || domain == "docker.io" || domain == "index.docker.io") {
    return std::string(kDockerHubKey);
  }
  return std::string(domain);
}

Result<std::optional<RegistryLogin>> LookupLogin(const std::string& path,
                                                 const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::ordered_json json, ReadConfig(path));
  if (std::string helper = HelperOf(json, server); !helper.empty()) {
    return HelperGet(helper, server);
  }
  auto auths = json.find("auths");
  if (auths == json.end() || !auths->is_object()) return std::nullopt;
  auto entry = auths->find(server);
  if (entry == auths->end() || !entry->is_object() || !entry->contains("auth") ||
      !(*entry)["auth"].is_string()) {
    return std::nullopt;
  }
  Result<std::string> pair = Base64Decode((*entry)["auth"].get<std::string>());
  const size_t colon = pair ? pair->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument,
                path + ": auths[\"" + server + "\"].auth: not base64 of user:password");
  }
  return RegistryLogin{.username = pair->substr(0, colon), .password = pair->substr(colon + 1)};
}

Status StoreLogin(const std::string& path, const std::string& server, const RegistryLogin& login) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::ordered_json json, ReadConfig(path));
  if (!json.contains("auths") || !json["auths"].is_object()) {
    json["auths"] = nlohmann::ordered_json::object();
  }
  if (std::string helper = HelperOf(json, server); !helper.empty()) {
    BERTH_TRY(HelperStore(helper, server, login));
    json["auths"][server] = nlohmann::ordered_json::object();
  } else {
    json["auths"][server] = {{"auth", Base64Encode(login.username + ":" + login.password)}};
  }
  return WriteConfig(path, json);
}

Status EraseLogin(const std::string& path, const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::ordered_json json, ReadConfig(path));
  const bool in_file =
      json.contains("auths") && json["auths"].is_object() && json["auths"].contains(server);
  if (std::string helper = HelperOf(json, server); !helper.empty()) {
    Status erased = HelperErase(helper, server);
    if (!erased && !(in_file && erased.error().kind() == ErrorKind::kNotFound)) return erased;
  } else if (!in_file) {
    return Fail(ErrorKind::kNotFound, "not logged in to " + server);
  }
  if (!in_file) return Ok();
  json["auths"].erase(server);
  return WriteConfig(path, json);
}

std::string RegistryAuthHeader(const RegistryLogin& login, const std::string& server) {
  const nlohmann::ordered_json json = {
      {"username", login.username}, {"password", login.password}, {"serveraddress", server}};
  return Base64UrlEncode(json.dump());
}

Result<std::optional<std::string>> AuthHeaderFor(const std::string& path,
                                                 std::string_view repository) {
  const std::string server = ServerKey(repository.substr(0, repository.find('/')));
  BERTH_ASSIGN_OR_RETURN(std::optional<RegistryLogin> login, LookupLogin(path, server));
  if (!login) return std::nullopt;
  return RegistryAuthHeader(*login, server);
}

}  // namespace berth::cli
