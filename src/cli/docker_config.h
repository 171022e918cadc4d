// The credentials docker's CLI keeps in its config file (`--config`/$DOCKER_CONFIG/config.json,
// else ~/.docker/config.json): "auths" maps a registry ("https://index.docker.io/v1/" for
// docker.io, "host:port" otherwise) to {"auth": base64("user:password")}. berth reads and writes
// the same file, so docker and berth share their logins; other keys of the file are kept.
// Credential helpers (credsStore, credHelpers) are not run: a registry they keep reads as
// anonymous. Pure but for the file; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::cli {

struct RegistryLogin {
  std::string username;
  std::string password;
};

// ConfigFilePath is dir/config.json, with dir the --config value, else $HOME/.docker.
std::string ConfigFilePath(const std::string& config_dir);

// ConfiguredFormat is format, or when it is empty what the config file of config_dir (see
// ConfigFilePath) holds under key: psFormat, imagesFormat or statsFormat, a command's --format
// when none is given, as docker's CLI reads them; "" when neither says.
Result<std::string> ConfiguredFormat(const std::string& config_dir, const std::string& format,
                                     const std::string& key);

// ServerKey names a reference's domain ("docker.io", "host:5000") as the file's auths do.
std::string ServerKey(std::string_view domain);

// LookupLogin reads the login stored for server (from its helper when it has one); nullopt when
// there is none (or no file).
Result<std::optional<RegistryLogin>> LookupLogin(const std::string& path,
                                                 const std::string& server);

// StoreLogin records a login for server (the file made 0600 when new; with a helper, the
// helper keeps it and the file only names the server); EraseLogin removes it (kNotFound when
// there was none).
Status StoreLogin(const std::string& path, const std::string& server, const RegistryLogin& login);
Status EraseLogin(const std::string& path, const std::string& server);

// RegistryAuthHeader is the Engine API's X-Registry-Auth value: base64url of docker's AuthConfig
// JSON ({"username","password","serveraddress"}).
std::string RegistryAuthHeader(const RegistryLogin& login, const std::string& server);

// AuthHeaderFor is the X-Registry-Auth value for a normalized repository ("reg:5000/app",
// "docker.io/library/bb") from the login stored for its registry; nullopt without one.
Result<std::optional<std::string>> AuthHeaderFor(const std::string& path,
                                                 std::string_view repository);

}  // namespace berth::cli
