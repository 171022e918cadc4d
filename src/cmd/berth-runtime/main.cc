// berth-runtime: an OCI runtime with runc's command line. Flags are parsed here and in one file per
// subcommand; the work is done by the runtime library.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "cmd/berth-runtime/commands.h"
#include "runtime/process/sealed_exe.h"

namespace {

// Commands that clone into or enter a container run from a sealed copy of the binary.
bool NeedsSealedExecutable(const std::string& command) {
  return command == "create" || command == "run" || command == "exec";
}

int ConfigureLogging(const berth::cmd::Globals& g) {
  auto level = g.debug ? berth::log::Level::kDebug : berth::log::Level::kWarn;
  auto format = berth::log::ParseFormat(g.log_format);
  if (!format) {
    std::fprintf(stderr, "berth-runtime: %s\n", format.error().message().c_str());
    return -1;
  }
  int fd = 2;
  if (!g.log_path.empty()) {
    fd = open(g.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
      std::fprintf(stderr, "berth-runtime: open log %s: %s\n", g.log_path.c_str(),
                   std::strerror(errno));
      return -1;
    }
  }
  berth::log::Configure(level, *format, fd);
  return fd;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace berth::cmd;
  CLI::App app{"berth-runtime: an OCI container runtime", "berth-runtime"};
  app.require_subcommand(1);
  app.set_version_flag("-v,--version", "berth-runtime version 0.1.0\nspec: 1.1.0");
  Globals g;
  app.add_option("--root", g.rt.root, "directory for the containers' state");
  app.add_option("--log", g.log_path, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "text or json");
  app.add_flag("--debug", g.debug, "log debug messages");
  app.add_flag("--systemd-cgroup", g.rt.systemd_cgroup, "cgroupsPath is slice:prefix:name");
  app.add_option("--rootless", g.rootless, "accepted for runc compatibility: auto, true, false");
  app.add_option("--criu", "accepted for runc compatibility (checkpointing is not supported)");

  std::map<CLI::App*, Action> actions;
  for (auto add : {AddCreate, AddStart, AddRun, AddState, AddKill, AddDelete, AddExec, AddPs,
                   AddList, AddSpec, AddFeatures, AddPause, AddResume}) {
    Action action = add(app, g);
    actions[app.get_subcommands({}).back()] = std::move(action);
  }
  CLI11_PARSE(app, argc, argv);
  if (ConfigureLogging(g) < 0) return 1;

  CLI::App* command = app.get_subcommands().front();
  if (NeedsSealedExecutable(command->get_name())) {
    if (auto sealed = berth::runtime::EnsureSealedExecutable(argv, envp); !sealed) {
      berth::log::Error("{}", sealed.error().message());
      return 1;
    }
  }
  berth::Result<int> result = actions.at(command)();
  if (!result) {
    const std::string& message = result.error().message();
    berth::log::Error("{}", message);
    if (!g.log_path.empty()) std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
    return 1;
  }
  return *result;
}
