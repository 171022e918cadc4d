// docker login and logout: credentials checked by the daemon against the registry (POST /auth)
// and kept in docker's config file (docker_config.h), which pull and push read.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/docker_config.h"

namespace berth::cli {

Result<int> LoginCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string username, password;
  bool password_stdin = false;
  FlagSet flags;
  flags.String(&username, "u,username", "Username");
  flags.String(&password, "p,password", "Password");
  flags.Bool(&password_stdin, "password-stdin", "Take the password from stdin");
  auto servers = cli.Parse(flags, args,
                           {path, "[OPTIONS] [SERVER]", "Log in to a registry", Arity::AtMost(1)});
  if (!servers) return cli.exit_code();
  if (password_stdin) {
    if (!password.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--password and --password-stdin are mutually exclusive");
    }
    if (username.empty()) {
      return Fail(ErrorKind::kInvalidArgument, "Must provide --username with --password-stdin");
    }
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
      password.pop_back();
    }
  }
  if (username.empty() || password.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "Error: Cannot perform an interactive login from a non TTY device");
  }
  const std::string server = ServerKey(servers->empty() ? "" : (*servers)[0]);
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  const nlohmann::json body = {
      {"username", username}, {"password", password}, {"serveraddress", server}};
  BERTH_TRY(client->Do({.method = "POST", .path = "/auth", .body = body.dump()}));
  BERTH_TRY(StoreLogin(ConfigFilePath(cli.options().config_dir), server,
                       {.username = username, .password = password}));
  cli.Out("Login Succeeded\n");
  return 0;
}

Result<int> LogoutCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto servers =
      cli.Parse(flags, args, {path, "[SERVER]", "Log out from a registry", Arity::AtMost(1)});
  if (!servers) return cli.exit_code();
  const std::string server = ServerKey(servers->empty() ? "" : (*servers)[0]);
  cli.Out("Removing login credentials for " + server + "\n");
  Status erased = EraseLogin(ConfigFilePath(cli.options().config_dir), server);
  if (!erased && erased.error().kind() == ErrorKind::kNotFound) {
    cli.Out("Not logged in to " + server + "\n");
    return 0;
  }
  BERTH_TRY(erased);
  return 0;
}

}  // namespace berth::cli
