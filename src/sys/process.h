// Process-level system calls that glibc lacks or wraps awkwardly: clone3 with a pidfd, pidfd
// signalling, and namespace entry. Thin and stateless; errors name the call.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::sys {

struct CloneResult {
  pid_t pid = 0;   // 0 in the child
  UniqueFd pidfd;  // the parent's pidfd of the child (invalid in the child)
};

// Clone3 forks with the given CLONE_* flags plus CLONE_PIDFD, delivering SIGCHLD on exit (with
// CLONE_PARENT: the caller's own exit signal, to the caller's parent).
// cgroup_fd >= 0 adds CLONE_INTO_CGROUP (cgroup v2 only).
Result<CloneResult> Clone3(uint64_t flags, int cgroup_fd = -1);

Result<UniqueFd> PidfdOpen(pid_t pid);
Status PidfdSendSignal(int pidfd, int sig);

}  // namespace berth::sys
