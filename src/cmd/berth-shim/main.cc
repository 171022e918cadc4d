// berth-shim: the monitor of one container, spawned by berthd. Flags are parsed here; the work is
// done by the shim library (shim/shim.h; src/shim/README.md describes the contract).
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "shim/shim.h"

namespace {

// Parse fills o from the command line, or gives the exit code of --help or a usage error. The
// parser is gone before the shim runs: one shim lives as long as its container.
std::optional<int> Parse(int argc, char** argv, berth::shim::ShimOptions& o) {
  CLI::App app{"berth-shim: runs one container and serves its stdio, logs and exit status",
               "berth-shim"};
  app.add_option("--id", o.id, "container id")->required();
  app.add_option("--bundle", o.bundle, "OCI bundle directory")->required();
  app.add_option("--runtime-root", o.runtime_root, "the runtime's state root")->required();
  app.add_option("--state-dir", o.state_dir, "directory for shim.pid, shim.sock, exit.json")
      ->required();
  std::string runtime;
  std::vector<std::string> runtime_args;
  auto* runtime_flag = app.add_option(
      "--runtime", runtime, "an OCI runtime binary (runc's command line) instead of the library");
  app.add_option("--runtime-arg", runtime_args, "an argument the runtime takes before each command")
      ->needs(runtime_flag);
  app.add_flag("--tty", o.tty, "the container's process has a terminal");
  app.add_flag("--stdin", o.open_stdin, "keep the container's stdin open");
  app.add_flag("--stdin-once", o.stdin_once,
               "close the container's stdin when the first attached client ends its input");
  auto* log_path = app.add_option("--log-path", o.log_path, "json-file log of the container");
  app.add_option("--log-max-size", o.log_max_size, "rotate the log at this size (0: never)")
      ->needs(log_path);
  app.add_option("--log-max-file", o.log_max_file, "log files kept in all")
      ->needs(log_path)
      ->check(CLI::PositiveNumber);
  app.add_flag("--systemd-cgroup", o.systemd_cgroup, "cgroupsPath is slice:prefix:name");
  app.add_option("--seccomp-cache", o.seccomp_cache,
                 "directory of compiled seccomp programs, reused by the containers of a profile");
  app.add_flag("--debug", o.debug, "log debug messages to STATE_DIR/shim.log");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!runtime.empty()) {
    o.runtime_command = {runtime};
    o.runtime_command.insert(o.runtime_command.end(), runtime_args.begin(), runtime_args.end());
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  // Executed through a descriptor (shim.h, SealExecutable), the process would be named after its
  // number; ps, top and pgrep should see berth-shim.
  prctl(PR_SET_NAME, "berth-shim", 0, 0, 0);
  berth::shim::ShimOptions o;
  if (std::optional<int> code = Parse(argc, argv, o)) return *code;
  // The container is cloned from this process (and execs are): its binary must be out of reach.
  if (auto sealed = berth::shim::ProtectExecutable(argv, envp); !sealed) {
    nlohmann::json line = {{"error", "berth-shim: " + sealed.error().message()}};
    std::printf("%s\n",
                line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 1;
  }
  return berth::shim::RunShim(o);
}
