#include "sys/process.h"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace berth::sys {

Result<CloneResult> Clone3(uint64_t flags, int cgroup_fd) {
  int pidfd = -1;
  clone_args args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  // With CLONE_PARENT the child reports to the caller's parent with the caller's own exit signal;
  // clone3 refuses an explicit one then.
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return Fail(ErrnoNow("clone3"));
  CloneResult result;
  result.pid = static_cast<pid_t>(pid);
  if (pid > 0) result.pidfd.Reset(pidfd);
  return result;
}

Result<UniqueFd> PidfdOpen(pid_t pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Fail(ErrnoNow("pidfd_open " + std::to_string(pid)));
  return UniqueFd(static_cast<int>(fd));
}

Status PidfdSendSignal(int pidfd, int sig) {
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) {
    return Fail(ErrnoNow("pidfd_send_signal"));
  }
  return Ok();
}

}  // namespace berth::sys
