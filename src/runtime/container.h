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
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"
#include "runtime/state/state_store.h"

namespace berth::runtime {

struct RuntimeOptions {
  std::string root = "/run/berth-runtime";
  bool systemd_cgroup = false;  // cgroupsPath is "slice:prefix:name"
  // A directory where compiled seccomp programs are kept and reused (seccomp/cache.h); empty: each
  // create and exec compiles linux.seccomp, as berth-runtime always does.
  std::string seccomp_cache;
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
// ExecProcessOf is the process an exec runs: the one of options.process_file, or the container's
// process (spec's) with the options' args, terminal, working directory and user, its env entries
// set over the container's (same name: replaced) and its capabilities added.
Result<oci::Process> ExecProcessOf(const oci::Spec& spec, const ExecOptions& options);
// Exec runs a new process in a running container; returns its exit code (0 when detached).
Result<int> Exec(const RuntimeOptions& rt, const std::string& id, const ExecOptions& options);

// For a monitor that stays the parent of its container (berth-shim) rather than leaving it behind
// as berth-runtime does. CreateMonitored clones the init process as a child of the caller, with the
// caller's stdin, stdout and stderr (or, when process.terminal is true, a new pty whose master is
// returned), and returns it created and waiting on its sync socket; StartMonitored lets it exec.
// ExecMonitored starts another process, likewise a child of the caller with the caller's stdio.
// The caller reaps these children (waitpid) and deletes the container with Delete. Until it is
// started, Inspect reports such a container as running (it has no exec.fifo). Errors: as Create,
// Start and Exec; StartMonitored fails with the init's own error if its exec fails.
struct MonitoredProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd console;  // the pty master when process.terminal is true
  UniqueFd start;    // init only: the runtime's end of the sync socket, consumed by StartMonitored
  // init only: the config's poststart hooks and the state they read on stdin, kept from the create
  // so that StartMonitored reads no file (a shim keeps what it touches for the container's life).
  std::vector<oci::Hook> poststart;
  std::string poststart_state;
};
Result<MonitoredProcess> CreateMonitored(const RuntimeOptions& rt, const CreateOptions& options);
Status StartMonitored(const std::string& id, MonitoredProcess& init);
Result<MonitoredProcess> ExecMonitored(const RuntimeOptions& rt, const std::string& id,
                                       const oci::Process& process);
// OomKilled tells whether the kernel's OOM killer killed a process of the container (cgroup v2
// memory.events, v1 memory.oom_control: oom_kill above 0). Call it before Delete.
Result<bool> OomKilled(const RuntimeOptions& rt, const std::string& id);

}  // namespace berth::runtime
