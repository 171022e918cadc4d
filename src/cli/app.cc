#include "cli/app.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/exit_code.h"

namespace berth::cli {

namespace {

constexpr std::string_view kVersion = "0.1.0";

struct CommandEntry {
  std::vector<std::string> names;  // every way to type it: "images", "image ls", "image list"
  std::string summary;
  CommandFunction run;
};

const std::vector<CommandEntry>& Commands() {
  static const auto* commands = new std::vector<CommandEntry>{
      {{"version"}, "Show the berth version information", VersionCommand},
      {{"info", "system info"}, "Display system-wide information", InfoCommand},
      {{"system df"}, "Show disk usage", SystemDfCommand},
      {{"events", "system events"}, "Get real time events from the server", EventsCommand},
      {{"images", "image ls", "image list"}, "List images", ImagesCommand},
      {{"image inspect"},
       "Display detailed information on one or more images",
       ImageInspectCommand},
      {{"inspect"}, "Return low-level information on objects", InspectCommand},
      {{"history", "image history"}, "Show the history of an image", HistoryCommand},
      {{"tag", "image tag"}, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", TagCommand},
      {{"rmi", "image rm", "image remove"}, "Remove one or more images", RmiCommand},
      {{"image prune"}, "Remove unused images", ImagePruneCommand},
      {{"load", "image load"}, "Load an image from a tar archive or STDIN", LoadCommand},
      {{"save", "image save"},
       "Save one or more images to a tar archive (streamed to STDOUT by default)",
       SaveCommand},
      {{"import", "image import"},
       "Import the contents from a tarball to create a filesystem image",
       ImportCommand},
      {{"pull", "image pull"}, "Pull an image or a repository from a registry", PullCommand},
      {{"push", "image push"}, "Push an image or a repository to a registry", PushCommand},
      {{"login"}, "Log in to a registry", LoginCommand},
      {{"logout"}, "Log out from a registry", LogoutCommand},
      {{"run", "container run"}, "Create and run a new container from an image", RunCommand},
      {{"create", "container create"}, "Create a new container", CreateCommand},
      {{"start", "container start"}, "Start one or more stopped containers", StartCommand},
      {{"stop", "container stop"}, "Stop one or more running containers", StopCommand},
      {{"restart", "container restart"}, "Restart one or more containers", StopCommand},
      {{"kill", "container kill"}, "Kill one or more running containers", KillCommand},
      {{"rm", "container rm", "container remove"}, "Remove one or more containers", RmCommand},
      {{"ps", "container ls", "container list", "container ps"}, "List containers", PsCommand},
      {{"logs", "container logs"}, "Fetch the logs of a container", LogsCommand},
      {{"wait", "container wait"},
       "Block until containers stop, then print their exit codes",
       WaitCommand},
      {{"container inspect"},
       "Display detailed information on one or more containers",
       ContainerInspectCommand},
      {{"attach", "container attach"},
       "Attach local standard input, output, and error streams",
       AttachCommand},
      {{"exec", "container exec"}, "Execute a command in a running container", ExecCommand},
      {{"top", "container top"}, "Display the running processes of a container", TopCommand},
      {{"rename", "container rename"}, "Rename a container", RenameCommand},
      {{"pause", "container pause"},
       "Pause all processes within one or more containers",
       PauseCommand},
      {{"unpause", "container unpause"},
       "Unpause all processes within one or more containers",
       PauseCommand},
      {{"update", "container update"},
       "Update configuration of one or more containers",
       UpdateCommand},
      {{"port", "container port"},
       "List port mappings or a specific mapping for the container",
       PortCommand},
      {{"export", "container export"},
       "Export a container's filesystem as a tar archive",
       ExportCommand},
      {{"commit", "container commit"},
       "Create a new image from a container's changes",
       CommitCommand},
      {{"stats", "container stats"},
       "Display a live stream of container resource usage",
       StatsCommand},
      {{"volume create"}, "Create a volume", VolumeCreateCommand},
      {{"volume ls", "volume list"}, "List volumes", VolumeLsCommand},
      {{"volume inspect"},
       "Display detailed information on one or more volumes",
       VolumeInspectCommand},
      {{"volume rm", "volume remove"}, "Remove one or more volumes", VolumeRmCommand},
      {{"volume prune"}, "Remove unused local volumes", VolumePruneCommand},
      {{"cp", "container cp"},
       "Copy files/folders between a container and the local filesystem",
       CpCommand},
      {{"diff", "container diff"},
       "Inspect changes to files or directories on a container's filesystem",
       DiffCommand},
      {{"network create"}, "Create a network", NetworkCreateCommand},
      {{"network ls", "network list"}, "List networks", NetworkLsCommand},
      {{"network inspect"},
       "Display detailed information on one or more networks",
       NetworkInspectCommand},
      {{"network rm", "network remove"}, "Remove one or more networks", NetworkRmCommand},
      {{"network prune"}, "Remove all unused networks", NetworkPruneCommand},
      {{"network connect"}, "Connect a container to a network", NetworkConnectCommand},
      {{"network disconnect"}, "Disconnect a container from a network", NetworkDisconnectCommand},
  };
  return *commands;
}

std::string Usage(const std::vector<ProgramCommand>& program_commands) {
  std::string out =
      "\nUsage:  berth [OPTIONS] COMMAND\n\nA docker-compatible client of the berth daemon\n\n"
      "Commands:\n";
  for (const CommandEntry& entry : Commands()) {
    out += fmt::format("  {:<16}{}\n", entry.names[0], entry.summary);
  }
  for (const ProgramCommand& command : program_commands) {
    out += fmt::format("  {:<16}{}\n", command.name, command.summary);
  }
  out +=
      "\nGlobal Options:\n"
      "      --config string      Location of client config files (default \"~/.docker\")\n"
      "  -D, --debug              Enable debug mode\n"
      "  -H, --host string        Daemon socket to connect to\n"
      "  -l, --log-level string   Set the logging level (\"debug\", \"info\", \"warn\", "
      "\"error\", \"fatal\") (default \"info\")\n"
      "      --tls                Use TLS; implied by --tlsverify\n"
      "      --tlscacert string   Trust certs signed only by this CA (default "
      "\"~/.docker/ca.pem\")\n"
      "      --tlscert string     Path to TLS certificate file (default \"~/.docker/cert.pem\")\n"
      "      --tlskey string      Path to TLS key file (default \"~/.docker/key.pem\")\n"
      "      --tlsverify          Use TLS and verify the remote\n"
      "  -v, --version            Print version information and quit\n";
  return out;
}

constexpr std::pair<std::string_view, std::string_view> kManagementCommands[] = {
    {"container", "Manage containers"},
    {"image", "Manage images"},
    {"network", "Manage networks"},
    {"system", "Manage berth"},
    {"volume", "Manage volumes"}};

// ManagementUsage lists the commands under a management command, as docker's help does.
std::string ManagementUsage(std::string_view group, std::string_view summary) {
  std::vector<std::pair<std::string, std::string>> commands;
  const std::string prefix = std::string(group) + " ";
  for (const CommandEntry& entry : Commands()) {
    for (const std::string& name : entry.names) {
      if (name.starts_with(prefix)) {
        commands.emplace_back(name.substr(prefix.size()), entry.summary);
        break;
      }
    }
  }
  std::sort(commands.begin(), commands.end());
  std::string out = fmt::format("\nUsage:  berth {} COMMAND\n\n{}\n\nCommands:\n", group, summary);
  for (const auto& [name, text] : commands) out += fmt::format("  {:<12}{}\n", name, text);
  return out +
         fmt::format("\nRun 'berth {} COMMAND --help' for more information on a command.\n", group);
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

int Main(int argc, char** argv, const std::vector<ProgramCommand>& program_commands) {
  // A closed pipe is an error to report (EPIPE), not a reason to die silently.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  GlobalOptions options;
  options.host = Env("DOCKER_HOST");
  options.api_version = Env("DOCKER_API_VERSION");
  options.config_dir = Env("DOCKER_CONFIG");
  bool show_version = false;
  std::vector<std::string> hosts;
  FlagSet flags;
  flags.Strings(&hosts, "H,host", "Daemon socket to connect to");
  flags.String(&options.config_dir, "config", "Location of client config files");
  flags.Bool(&options.debug, "D,debug", "Enable debug mode");
  flags.String(&options.log_level, "l,log-level", "Set the logging level");
  flags.Bool(&show_version, "v,version", "Print version information and quit");
  options.tls.verify = !Env("DOCKER_TLS_VERIFY").empty();
  flags.Bool(&options.tls.tls, "tls", "Use TLS; implied by --tlsverify");
  flags.Bool(&options.tls.verify, "tlsverify", "Use TLS and verify the remote");
  flags.String(&options.tls.ca_file, "tlscacert", "Trust certs signed only by this CA");
  flags.String(&options.tls.cert_file, "tlscert", "Path to TLS certificate file");
  flags.String(&options.tls.key_file, "tlskey", "Path to TLS key file");
  Result<std::vector<std::string>> rest = flags.Parse(args, /*interspersed=*/false);
  if (!rest) {
    std::fprintf(stderr, "%s\nSee 'berth --help'.\n", rest.error().message().c_str());
    return kExitRunFailure;
  }
  if (show_version) {
    std::printf("berth version %s\n", std::string(kVersion).c_str());
    return 0;
  }
  if (flags.help() || rest->empty()) {
    std::fputs(Usage(program_commands).c_str(), stdout);
    return 0;
  }
  if (hosts.size() > 1) {
    std::fprintf(stderr, "Specify only one -H\n");
    return kExitFailure;
  }
  if (!hosts.empty()) options.host = hosts[0];
  // Giving --tlsverify at all, even =false, turns TLS on (docker's rule).
  if (flags.Changed("tlsverify")) options.tls.tls = true;
  Result<log::Level> level = log::ParseLevel(options.debug ? "debug" : options.log_level);
  if (!level) {
    std::fprintf(stderr, "Unable to parse logging level: %s\n", options.log_level.c_str());
    return kExitFailure;
  }
  log::Configure(*level, log::Format::kText, 2);
  for (const ProgramCommand& command : program_commands) {
    if ((*rest)[0] == command.name) return command.run({rest->begin() + 1, rest->end()});
  }
  Cli cli(options);
  for (size_t words : {2, 1}) {
    if (rest->size() < words) continue;
    std::string typed = words == 2 ? (*rest)[0] + " " + (*rest)[1] : (*rest)[0];
    for (const CommandEntry& entry : Commands()) {
      if (std::find(entry.names.begin(), entry.names.end(), typed) == entry.names.end()) continue;
      std::vector<std::string> command_args(rest->begin() + static_cast<ptrdiff_t>(words),
                                            rest->end());
      Result<int> code = entry.run(cli, typed, command_args);
      if (code) return *code;
      cli.Err(code.error().message() + "\n");
      return ExitCode(code.error());
    }
  }
  // A management command alone (or with "--help") lists its commands; with an unknown one, the
  // same list is the error.
  for (const auto& [group, summary] : kManagementCommands) {
    if ((*rest)[0] != group) continue;
    const bool asked = rest->size() == 1 || (*rest)[1] == "--help" || (*rest)[1] == "-h";
    std::fputs(ManagementUsage(group, summary).c_str(), asked ? stdout : stderr);
    return asked ? 0 : kExitFailure;
  }
  std::fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n",
               (*rest)[0].c_str());
  return kExitFailure;
}

}  // namespace berth::cli
