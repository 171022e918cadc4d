// berth's OCI runtime as a library: the lifecycle of runtime-spec 1.1 (create, start, state, kill,
// delete) plus run, exec, pause/resume, list and ps, over a StateStore rooted at --root. Each call
// is what one `berth-runtime` subcommand does; the command-line front end in cmd/berth-runtime only
// parses flags. Calls on one container are serialised by the store's lock; the library is meant
// for a single-threaded process (it clones the container from the calling process).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"
#include "runtime/state/state_store.h"

namespace berth::runtime {

struct RuntimeOptions {
  std::string root = "/run/berth-runtime";
  bool systemd_cgroup = false;  // cgroupsPath is "slice:prefix:name"
};

struct CreateOptions {
  std::string id;
  std::string bundle;  // absolute or relative to the cwd; default "."
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
  bool detach = false;  // run only: return once started
};

Status Create(const RuntimeOptions& rt, const CreateOptions& options);
Status Start(const RuntimeOptions& rt, const std::string& id);
// Run creates and starts; in the foreground it waits, proxies the terminal, forwards signals and
// deletes the container when its process exits, returning the exit code (128 + signal if killed).
Result<int> Run(const RuntimeOptions& rt, const CreateOptions& options);

struct ContainerInfo {
  oci::State state;
  std::string created;
  std::string owner;
  std::string rootfs;
};
Result<ContainerInfo> Inspect(const RuntimeOptions& rt, const std::string& id);
Result<std::vector<ContainerInfo>> List(const RuntimeOptions& rt);

// ParseSignal accepts "KILL", "SIGKILL", "kill" or a number.
Result<int> ParseSignal(std::string_view name);
Status Kill(const RuntimeOptions& rt, const std::string& id, int signal, bool all);
Status Delete(const RuntimeOptions& rt, const std::string& id, bool force);
Status Pause(const RuntimeOptions& rt, const std::string& id);
Status Resume(const RuntimeOptions& rt, const std::string& id);
Result<std::vector<pid_t>> Pids(const RuntimeOptions& rt, const std::string& id);

struct ExecOptions {
  std::string process_file;  // -p: a process.json; otherwise the fields below
  std::vector<std::string> args;
  std::vector<std::string> env;  // added to the container's env
  std::string cwd;
  std::optional<oci::User> user;
  std::vector<std::string> caps;  // added to the container's capability sets
  bool tty = false;
  bool no_new_privileges = false;
  std::string pid_file;
  std::string console_socket;
  bool detach = false;
  int preserve_fds = 0;
};
// Exec runs a new process in a running container; returns its exit code (0 when detached).
Result<int> Exec(const RuntimeOptions& rt, const std::string& id, const ExecOptions& options);

}  // namespace berth::runtime
