// docker stop, restart, kill, rm, wait, pause, unpause, rename, update, container inspect, port,
// export and commit: one request per container named, docker's output and error collection.
#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/container_options.h"
#include "cli/inspect.h"
#include "cli/json_fields.h"
#include "cli/reference.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

}  // namespace

Result<int> ForEach(Cli& cli, const std::vector<std::string>& names,
                    const std::function<Result<std::string>(const std::string&)>& act) {
  std::vector<std::string> errors;
  for (const std::string& name : names) {
    Result<std::string> printed = act(name);
    if (printed) {
      if (!printed->empty()) cli.Out(*printed + "\n");
    } else {
      errors.push_back(printed.error().message());
    }
  }
  if (errors.empty()) return 0;
  return Fail(ErrorKind::kUnknown, Join(errors, "\n"));
}

Result<int> StopCommand(Cli& cli, const std::string& path, const Args& args) {
  int64_t timeout = 0;
  std::string signal;
  FlagSet flags;
  flags.String(&signal, "s,signal", "Signal to send to the container");
  flags.Int(&timeout, "t,time", "Seconds to wait before killing the container");
  const bool restart = path.ends_with("restart");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                 restart ? "Restart one or more containers" : "Stop one or more running containers",
                 Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    client::Request request{.method = "POST",
                            .path = "/containers/" + name + (restart ? "/restart" : "/stop")};
    if (flags.Changed("time")) request.query.emplace_back("t", std::to_string(timeout));
    if (!signal.empty()) request.query.emplace_back("signal", signal);
    BERTH_TRY(client->Do(request));
    return name;
  });
}

Result<int> KillCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string signal;
  FlagSet flags;
  flags.String(&signal, "s,signal", "Signal to send to the container");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                          "Kill one or more running containers", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    client::Request request{.method = "POST", .path = "/containers/" + name + "/kill"};
    if (!signal.empty()) request.query.emplace_back("signal", signal);
    BERTH_TRY(client->Do(request));
    return name;
  });
}

Result<int> RmCommand(Cli& cli, const std::string& path, const Args& args) {
  bool force = false, volumes = false, link = false;
  FlagSet flags;
  flags.Bool(&force, "f,force", "Force the removal of a running container (uses SIGKILL)");
  flags.Bool(&link, "l,link", "Remove the specified link");
  flags.Bool(&volumes, "v,volumes", "Remove anonymous volumes associated with the container");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                          "Remove one or more containers", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    client::Request request{.method = "DELETE",
                            .path = "/containers/" + name,
                            .not_found = "Error: No such container: " + name};
    if (force) request.query.emplace_back("force", "1");
    if (volumes) request.query.emplace_back("v", "1");
    if (link) request.query.emplace_back("link", "1");
    BERTH_TRY(client->Do(request));
    return name;
  });
}

Result<int> WaitCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto names = cli.Parse(
      flags, args,
      {path, "CONTAINER [CONTAINER...]",
       "Block until one or more containers stop, then print their exit codes", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    BERTH_ASSIGN_OR_RETURN(
        json result, client->DoJson({.method = "POST", .path = "/containers/" + name + "/wait"}));
    if (result.contains("Error") && result["Error"].is_object() &&
        !StringAt(result["Error"], "Message").empty()) {
      return Fail(ErrorKind::kUnknown, StringAt(result["Error"], "Message"));
    }
    return std::to_string(IntAt(result, "StatusCode"));
  });
}

Result<int> PauseCommand(Cli& cli, const std::string& path, const Args& args) {
  const bool pause = !path.ends_with("unpause");
  FlagSet flags;
  auto names = cli.Parse(flags, args,
                         {path, "CONTAINER [CONTAINER...]",
                          pause ? "Pause all processes within one or more containers"
                                : "Unpause all processes within one or more containers",
                          Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    BERTH_TRY(client->Do(
        {.method = "POST", .path = "/containers/" + name + (pause ? "/pause" : "/unpause")}));
    return name;
  });
}

Result<int> RenameCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto names =
      cli.Parse(flags, args, {path, "CONTAINER NEW_NAME", "Rename a container", Arity::Exactly(2)});
  if (!names) return cli.exit_code();
  std::string new_name(TrimSpace((*names)[1]));
  if (new_name.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "Error: neither old nor new names may be empty");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_TRY(client->Do({.method = "POST",
                        .path = "/containers/" + (*names)[0] + "/rename",
                        .query = {{"name", new_name}}}));
  return 0;
}

Result<int> UpdateCommand(Cli& cli, const std::string& path, const Args& args) {
  // The create mapping knows every value's syntax; update sends the HostConfig fields given.
  ContainerOptions options;
  std::string restart;
  FlagSet flags;
  options.RegisterResources(flags);
  flags.String(&restart, "restart", "Restart policy to apply when a container exits");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                          "Update configuration of one or more containers", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  if (!restart.empty()) options.restart = restart;
  BERTH_ASSIGN_OR_RETURN(json body, CreateBody(options, flags, "", {}));
  json update = body["HostConfig"];
  if (restart.empty()) update.erase("RestartPolicy");
  if (update.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "you must provide one or more flags when using this command");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    BERTH_ASSIGN_OR_RETURN(json result, client->DoJson({.method = "POST",
                                                        .path = "/containers/" + name + "/update",
                                                        .body = update.dump()}));
    if (result.contains("Warnings") && result["Warnings"].is_array()) {
      for (const json& w : result["Warnings"]) cli.Err(w.get<std::string>() + "\n");
    }
    return name;
  });
}

Result<int> ContainerInspectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  bool size = false;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  flags.Bool(&size, "s,size", "Display total file sizes");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                 "Display detailed information on one or more containers", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return InspectEach(cli, *names, format, [&](const std::string& name) -> Result<json> {
    client::Request request{.path = "/containers/" + name + "/json",
                            .not_found = "Error: No such container: " + name};
    if (size) request.query.emplace_back("size", "1");
    BERTH_ASSIGN_OR_RETURN(client::Response r, client->Do(request));
    return r.Json();
  });
}

Result<int> PortCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto positional =
      cli.Parse(flags, args,
                {path, "CONTAINER [PRIVATE_PORT[/PROTO]]",
                 "List port mappings or a specific mapping for the container", Arity::Range(1, 2)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(
      json info, client->DoJson({.path = "/containers/" + (*positional)[0] + "/json",
                                 .not_found = "Error: No such container: " + (*positional)[0]}));
  json ports = ObjectAt(ObjectAt(info, "NetworkSettings"), "Ports");
  if (!ports.is_object()) ports = json::object();
  std::string want;
  if (positional->size() == 2) {
    want = (*positional)[1];
    if (want.find('/') == std::string::npos) want += "/tcp";
  }
  std::vector<std::string> lines;
  for (const auto& item : ports.items()) {
    if (!want.empty() && item.key() != want) continue;
    if (!item.value().is_array()) continue;
    for (const json& binding : item.value()) {
      std::string ip = StringAt(binding, "HostIp");
      std::string port = StringAt(binding, "HostPort");
      std::string host =
          ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;
      lines.push_back(want.empty() ? item.key() + " -> " + host : host);
    }
  }
  if (!want.empty() && lines.empty()) {
    return Fail(ErrorKind::kNotFound,
                "Error: No public port '" + want + "' published for " + (*positional)[0]);
  }
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  cli.Out(text);
  return 0;
}

Result<int> CommitCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string author, message;
  std::vector<std::string> changes;
  bool pause = true;
  FlagSet flags;
  flags.String(&author, "a,author", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  flags.Strings(&changes, "c,change", "Apply Dockerfile instruction to the created image");
  flags.String(&message, "m,message", "Commit message");
  flags.Bool(&pause, "p,pause", "Pause container during commit");
  auto positional =
      cli.Parse(flags, args,
                {path, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                 "Create a new image from a container's changes", Arity::Range(1, 2)});
  if (!positional) return cli.exit_code();
  client::Request request{.method = "POST", .path = "/commit"};
  request.query = {{"container", (*positional)[0]}, {"pause", pause ? "1" : "0"}};
  if (positional->size() == 2) {
    BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed((*positional)[1]));
    request.query.emplace_back("repo", named.familiar);
    if (!named.tag.empty()) request.query.emplace_back("tag", named.tag);
  }
  if (!author.empty()) request.query.emplace_back("author", author);
  if (!message.empty()) request.query.emplace_back("comment", message);
  for (const std::string& change : changes) request.query.emplace_back("changes", change);
  request.body = "{}";
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json result, client->DoJson(request));
  cli.Out(StringAt(result, "Id") + "\n");
  return 0;
}

}  // namespace berth::cli
