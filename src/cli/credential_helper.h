// docker's credential helpers: a program `docker-credential-<name>` on PATH keeps the logins
// instead of the config file (its "credsStore" for every registry, "credHelpers" per registry).
// The protocol: `get` reads a server on stdin and prints {"ServerURL","Username","Secret"} (a
// server it does not know: "credentials not found in native keychain" and exit status 1);
// `store` reads that JSON; `erase` reads the server. Each call runs the program once.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "cli/docker_config.h"

namespace berth::cli {

// HelperGet is the helper's login for server; nullopt when it has none. A helper that cannot be
// run or fails otherwise is an error naming it and what it printed.
Result<std::optional<RegistryLogin>> HelperGet(const std::string& helper,
                                               const std::string& server);
Status HelperStore(const std::string& helper, const std::string& server,
                   const RegistryLogin& login);
// HelperErase removes the login; kNotFound when the helper had none.
Status HelperErase(const std::string& helper, const std::string& server);

}  // namespace berth::cli
