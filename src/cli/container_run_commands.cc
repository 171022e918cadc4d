// docker create, run, start, attach and exec: the commands that connect the terminal to a
// container. run does what docker's does: create (a missing image is the daemon's error), attach
// before start unless detached, register the wait, start, pump the streams, then exit with the
// container's code (removing it with --rm).
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/container_options.h"
#include "cli/exit_code.h"
#include "cli/json_fields.h"
#include "cli/reference.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kRunUsage = "[OPTIONS] IMAGE [COMMAND] [ARG...]";

// RunFailure prints a run/create failure as docker does ("berth: <error>.", then where help is)
// and returns its exit code.
int RunFailure(Cli& cli, const std::string& path, const Error& error) {
  std::string message = error.message();
  if (message.ends_with(".")) message.pop_back();
  cli.Err(fmt::format("berth: {}.\nSee 'berth {} --help'.\n", message, path));
  return RunExitCode(error);
}

// CreateContainer creates the container; an image the daemon lacks is pulled first, as docker
// does ("Unable to find image ... locally", the pull's progress on stderr, then create again).
Result<std::string> CreateContainer(Cli& cli, client::Client& client, const json& body,
                                    const std::string& name) {
  client::Request request{.method = "POST", .path = "/containers/create", .body = body.dump()};
  if (!name.empty()) request.query.emplace_back("name", name);
  Result<json> made = client.DoJson(request);
  std::string message = made ? "" : made.error().message();
  for (char& c : message) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!made && made.error().kind() == ErrorKind::kNotFound &&
      message.find("no such image") != std::string::npos) {
    const std::string image = StringAt(body, "Image");
    BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed(image));
    cli.Err(fmt::format("Unable to find image '{}:{}' locally\n", named.familiar,
                        named.tag.empty() ? "latest" : named.tag));
    BERTH_TRY(PullImage(cli, client, image, stderr));
    made = client.DoJson(request);
  }
  BERTH_ASSIGN_OR_RETURN(json created, std::move(made));
  if (created.contains("Warnings") && created["Warnings"].is_array()) {
    for (const json& warning : created["Warnings"]) {
      if (warning.is_string()) cli.Err("WARNING: " + warning.get<std::string>() + "\n");
    }
  }
  return StringAt(created, "Id");
}

Result<client::Hijacked> AttachTo(client::Client& client, const std::string& id, bool in, bool out,
                                  bool err, const std::string& detach_keys) {
  client::Request request{.method = "POST", .path = "/containers/" + id + "/attach"};
  request.query = {{"stream", "1"},
                   {"stdin", in ? "1" : "0"},
                   {"stdout", out ? "1" : "0"},
                   {"stderr", err ? "1" : "0"}};
  if (!detach_keys.empty()) request.query.emplace_back("detachKeys", detach_keys);
  return client.Hijack(request);
}

// ReadWait reads the wait response: the exit code, or the error the daemon reported.
Result<int> ReadWait(client::ResponseStream& stream) {
  std::string body;
  char data[4096];
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t n, stream.Read(data, sizeof(data)));
    if (n == 0) break;
    body.append(data, n);
  }
  json result = json::parse(body, nullptr, false);
  if (!result.is_object()) return Fail(ErrorKind::kDataLoss, "wait: malformed answer: " + body);
  if (result.contains("Error") && result["Error"].is_object() &&
      !StringAt(result["Error"], "Message").empty()) {
    return Fail(ErrorKind::kUnknown, StringAt(result["Error"], "Message"));
  }
  return static_cast<int>(IntAt(result, "StatusCode"));
}

AttachOptions SessionOptions(client::Client& client, const std::string& resize_path, bool in,
                             bool tty, const std::string& detach_keys, bool proxy_signals,
                             const std::string& kill_path) {
  AttachOptions options;
  options.stdin = in;
  options.tty = tty;
  if (!detach_keys.empty()) options.detach_keys = detach_keys;
  options.resize = [&client, resize_path](int h, int w) {
    (void)client.Do({.method = "POST",
                     .path = resize_path,
                     .query = {{"h", std::to_string(h)}, {"w", std::to_string(w)}}});
  };
  if (proxy_signals && !tty && !kill_path.empty()) {
    options.signal = [&client, kill_path](int signal) {
      (void)client.Do(
          {.method = "POST", .path = kill_path, .query = {{"signal", std::to_string(signal)}}});
    };
  }
  return options;
}

}  // namespace

Result<int> CreateCommand(Cli& cli, const std::string& path, const Args& args) {
  ContainerOptions options;
  FlagSet flags;
  options.Register(flags, /*run=*/false);
  auto positional =
      cli.Parse(flags, args,
                {path, std::string(kRunUsage), "Create a new container", Arity::AtLeast(1), false});
  if (!positional) return cli.exit_code();
  const std::vector<std::string> command(positional->begin() + 1, positional->end());
  Result<json> body = CreateBody(options, flags, (*positional)[0], command);
  if (!body) return RunFailure(cli, path, body.error());
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  Result<std::string> id = CreateContainer(cli, *client, *body, options.name);
  if (!id) return RunFailure(cli, path, id.error());
  cli.Out(*id + "\n");
  return 0;
}

Result<int> RunCommand(Cli& cli, const std::string& path, const Args& args) {
  ContainerOptions options;
  FlagSet flags;
  options.Register(flags, /*run=*/true);
  auto positional =
      cli.Parse(flags, args,
                {path, std::string(kRunUsage), "Create and run a new container from an image",
                 Arity::AtLeast(1), false});
  if (!positional) return cli.exit_code();
  const std::vector<std::string> command(positional->begin() + 1, positional->end());
  if (options.detach && !options.attach.empty()) {
    return RunFailure(cli, path,
                      Error(ErrorKind::kInvalidArgument,
                            "conflicting options: cannot specify both --attach and "
                            "--detach"));
  }
  Result<json> body = CreateBody(options, flags, (*positional)[0], command);
  if (!body) return RunFailure(cli, path, body.error());
  if (BoolAt(*body, "AttachStdin") && options.tty && !Cli::InIsTerminal()) {
    return Fail(ErrorKind::kInvalidArgument, "the input device is not a TTY");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  Result<std::string> created = CreateContainer(cli, *client, *body, options.name);
  if (!created) return RunFailure(cli, path, created.error());
  const std::string id = *created;
  const json& config = *body;
  const bool in = BoolAt(config, "AttachStdin");
  const bool out = BoolAt(config, "AttachStdout");
  const bool err = BoolAt(config, "AttachStderr");
  std::optional<client::Hijacked> attached;
  std::unique_ptr<client::ResponseStream> wait;
  if (!options.detach) {
    if (in || out || err) {
      Result<client::Hijacked> hijacked = AttachTo(*client, id, in, out, err, options.detach_keys);
      if (!hijacked) return RunFailure(cli, path, hijacked.error());
      attached = std::move(*hijacked);
    }
    // With --rm the daemon removes the container (AutoRemove): wait for that, as docker does,
    // so that run returns once nothing is left.
    Result<std::unique_ptr<client::ResponseStream>> waiting =
        client->Stream({.method = "POST",
                        .path = "/containers/" + id + "/wait",
                        .query = {{"condition", options.auto_remove ? "removed" : "next-exit"}}});
    if (!waiting) return RunFailure(cli, path, waiting.error());
    wait = std::move(*waiting);
  }
  Result<client::Response> started =
      client->Do({.method = "POST", .path = "/containers/" + id + "/start"});
  if (!started) {
    // A container that did not start is removed by the daemon too; wait for it to be gone.
    if (wait && options.auto_remove) (void)ReadWait(*wait);
    return RunFailure(cli, path, started.error());
  }
  if (options.detach) {
    cli.Out(id + "\n");
    return 0;
  }
  if (attached) {
    AttachOptions session =
        SessionOptions(*client, "/containers/" + id + "/resize", in, options.tty,
                       options.detach_keys, options.sig_proxy, "/containers/" + id + "/kill");
    Result<AttachEnd> end = Pump(*attached, session);
    if (!end) return RunFailure(cli, path, end.error());
    if (*end == AttachEnd::kDetached) return 0;
  }
  Result<int> code = ReadWait(*wait);
  if (!code) return RunFailure(cli, path, code.error());
  return *code;
}

Result<int> StartCommand(Cli& cli, const std::string& path, const Args& args) {
  bool attach = false, interactive = false;
  std::string detach_keys;
  FlagSet flags;
  flags.Bool(&attach, "a,attach", "Attach STDOUT/STDERR and forward signals");
  flags.String(&detach_keys, "detach-keys", "Override the key sequence for detaching a container");
  flags.Bool(&interactive, "i,interactive", "Attach container's STDIN");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER [CONTAINER...]",
                          "Start one or more stopped containers", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  if (attach || interactive) {
    if (names->size() > 1) {
      return Fail(ErrorKind::kInvalidArgument,
                  "you cannot start and attach multiple containers at once");
    }
    const std::string& name = (*names)[0];
    BERTH_ASSIGN_OR_RETURN(json info,
                           client->DoJson({.path = "/containers/" + name + "/json",
                                           .not_found = "Error: No such container: " + name}));
    const std::string id = StringAt(info, "Id", name);
    const json config = ObjectAt(info, "Config");
    const bool tty = BoolAt(config, "Tty");
    const bool in = interactive && BoolAt(config, "OpenStdin");
    BERTH_ASSIGN_OR_RETURN(client::Hijacked hijacked,
                           AttachTo(*client, id, in, true, true, detach_keys));
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> wait,
                           client->Stream({.method = "POST",
                                           .path = "/containers/" + id + "/wait",
                                           .query = {{"condition", "next-exit"}}}));
    BERTH_TRY(client->Do({.method = "POST", .path = "/containers/" + id + "/start"}));
    AttachOptions session = SessionOptions(*client, "/containers/" + id + "/resize", in, tty,
                                           detach_keys, true, "/containers/" + id + "/kill");
    BERTH_ASSIGN_OR_RETURN(AttachEnd end, Pump(hijacked, session));
    if (end == AttachEnd::kDetached) return 0;
    return ReadWait(*wait);
  }
  std::vector<std::string> errors;
  for (const std::string& name : *names) {
    Result<client::Response> r =
        client->Do({.method = "POST", .path = "/containers/" + name + "/start"});
    if (r) {
      cli.Out(name + "\n");
    } else {
      errors.push_back(r.error().message());
    }
  }
  if (errors.empty()) return 0;
  std::string all;
  for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
  return Fail(ErrorKind::kUnknown, all);
}

Result<int> AttachCommand(Cli& cli, const std::string& path, const Args& args) {
  bool no_stdin = false, sig_proxy = true;
  std::string detach_keys;
  FlagSet flags;
  flags.String(&detach_keys, "detach-keys", "Override the key sequence for detaching a container");
  flags.Bool(&no_stdin, "no-stdin", "Do not attach STDIN");
  flags.Bool(&sig_proxy, "sig-proxy", "Proxy all received signals to the process");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER",
                          "Attach local standard input, output, and error streams to a running "
                          "container",
                          Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json info,
                         client->DoJson({.path = "/containers/" + (*names)[0] + "/json",
                                         .not_found = "Error: No such container: " + (*names)[0]}));
  const std::string id = StringAt(info, "Id", (*names)[0]);
  const json state = ObjectAt(info, "State");
  if (!BoolAt(state, "Running")) {
    return Fail(ErrorKind::kFailedPrecondition,
                "You cannot attach to a stopped container, start it first");
  }
  if (BoolAt(state, "Paused")) {
    return Fail(ErrorKind::kFailedPrecondition,
                "You cannot attach to a paused container, unpause it first");
  }
  const json config = ObjectAt(info, "Config");
  const bool tty = BoolAt(config, "Tty");
  const bool in = !no_stdin && BoolAt(config, "OpenStdin");
  BERTH_ASSIGN_OR_RETURN(client::Hijacked hijacked,
                         AttachTo(*client, id, in, true, true, detach_keys));
  AttachOptions session = SessionOptions(*client, "/containers/" + id + "/resize", in, tty,
                                         detach_keys, sig_proxy, "/containers/" + id + "/kill");
  BERTH_ASSIGN_OR_RETURN(AttachEnd end, Pump(hijacked, session));
  if (end == AttachEnd::kDetached) return 0;
  BERTH_ASSIGN_OR_RETURN(json after,
                         client->DoJson({.path = "/containers/" + id + "/json",
                                         .not_found = "Error: No such container: " + id}));
  return static_cast<int>(IntAt(ObjectAt(after, "State"), "ExitCode"));
}

Result<int> ExecCommand(Cli& cli, const std::string& path, const Args& args) {
  bool detach = false, interactive = false, tty = false, privileged = false;
  std::string user, workdir, detach_keys;
  std::vector<std::string> env, env_file;
  FlagSet flags;
  flags.Bool(&detach, "d,detach", "Detached mode: run command in the background");
  flags.String(&detach_keys, "detach-keys", "Override the key sequence for detaching a container");
  flags.Strings(&env, "e,env", "Set environment variables");
  flags.Strings(&env_file, "env-file", "Read in a file of environment variables");
  flags.Bool(&interactive, "i,interactive", "Keep STDIN open even if not attached");
  flags.Bool(&privileged, "privileged", "Give extended privileges to the command");
  flags.Bool(&tty, "t,tty", "Allocate a pseudo-TTY");
  flags.String(&user, "u,user", "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  flags.String(&workdir, "w,workdir", "Working directory inside the container");
  auto positional =
      cli.Parse(flags, args,
                {path, "[OPTIONS] CONTAINER COMMAND [ARG...]",
                 "Execute a command in a running container", Arity::AtLeast(2), false});
  if (!positional) return cli.exit_code();
  const std::string container = (*positional)[0];
  if (interactive && tty && !detach && !Cli::InIsTerminal()) {
    return Fail(ErrorKind::kInvalidArgument, "the input device is not a TTY");
  }
  json body = {{"User", user},
               {"Privileged", privileged},
               {"Tty", tty},
               {"AttachStdin", interactive && !detach},
               {"AttachStdout", !detach},
               {"AttachStderr", !detach},
               {"Detach", detach},
               {"Cmd", std::vector<std::string>(positional->begin() + 1, positional->end())}};
  std::vector<std::string> all_env;
  for (const std::string& file : env_file) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> lines, ParseEnvFile(file));
    all_env.insert(all_env.end(), lines.begin(), lines.end());
  }
  all_env.insert(all_env.end(), env.begin(), env.end());
  if (!all_env.empty()) body["Env"] = all_env;
  if (!workdir.empty()) body["WorkingDir"] = workdir;
  if (!detach_keys.empty()) body["DetachKeys"] = detach_keys;
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json created, client->DoJson({.method = "POST",
                                                       .path = "/containers/" + container + "/exec",
                                                       .body = body.dump()}));
  const std::string exec_id = StringAt(created, "Id");
  json start = {{"Detach", detach}, {"Tty", tty}};
  if (detach) {
    BERTH_TRY(client->Do(
        {.method = "POST", .path = "/exec/" + exec_id + "/start", .body = start.dump()}));
    return 0;
  }
  BERTH_ASSIGN_OR_RETURN(
      client::Hijacked hijacked,
      client->Hijack(
          {.method = "POST", .path = "/exec/" + exec_id + "/start", .body = start.dump()}));
  AttachOptions session = SessionOptions(*client, "/exec/" + exec_id + "/resize", interactive, tty,
                                         detach_keys, false, "");
  BERTH_ASSIGN_OR_RETURN(AttachEnd end, Pump(hijacked, session));
  if (end == AttachEnd::kDetached) return 0;
  // The API has no wait for an exec: the process ends with its stream, and a daemon may record
  // its exit an instant later, so an exec still shown running is asked again for a short while.
  json inspected;
  for (int attempt = 0; attempt < 200; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(inspected, client->DoJson({.path = "/exec/" + exec_id + "/json"}));
    if (!BoolAt(inspected, "Running") && inspected.contains("ExitCode") &&
        inspected["ExitCode"].is_number()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return static_cast<int>(IntAt(inspected, "ExitCode"));
}

}  // namespace berth::cli
