// The runtime side of creation: clone the init process as the namespace plan requires (directly, or
// through an intermediate process that first enters namespaces given by path), then drive it
// through the sync protocol until it reports "created".
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "runtime/process/init.h"

namespace berth::runtime {

struct LaunchHooks {
  // Runs once the child exists, before it may continue: place it in its cgroup, set rlimits.
  std::function<Status(pid_t pid)> place;
  // Runs when the child's mounts are ready: prestart and createRuntime hooks.
  std::function<Status(pid_t pid)> create_runtime;
  // Receives the pty master when the process has a terminal.
  std::function<Status(UniqueFd master)> console;
};

struct Launched {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd sync;  // the runtime's end of the sync socket
};

// Launch clones the init process for config (config.proc.sync_fd is filled in here) and returns
// once it is created and waiting to be started. cgroup_fd >= 0 places it with CLONE_INTO_CGROUP.
// On failure the child is killed.
Result<Launched> Launch(InitConfig config, int cgroup_fd, const LaunchHooks& hooks);

// WriteIdMaps writes /proc/PID/{uid,gid}_map for a new user namespace.
Status WriteIdMaps(pid_t pid, const NamespacePlan& plan);

}  // namespace berth::runtime
