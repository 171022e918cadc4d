#include "runtime/process/launch.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/scope_exit.h"
#include "runtime/process/sync.h"
#include "sys/process.h"

namespace berth::runtime {
namespace {

// Body of the intermediate process: enter the namespaces given by path (user first), create a time
// namespace with its offsets, then clone the init process as a sibling (CLONE_PARENT) so that it is
// the runtime's child. Never returns.
[[noreturn]] void RunIntermediate(const InitConfig& c) noexcept {
  const int fd = c.proc.sync_fd;
  for (const auto& join : c.namespaces.joins) {
    int ns = open(join.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, static_cast<int>(join.flag)) < 0) {
      ChildFail(fd, errno, ("join " + join.type + " namespace " + join.path).c_str());
    }
    close(ns);
  }
  if (c.namespaces.Creates(CLONE_NEWTIME)) {
    if (unshare(CLONE_NEWTIME) < 0) ChildFail(fd, errno, "unshare time namespace");
    std::string offsets = FormatTimeOffsets(c.namespaces.time_offsets);
    if (!offsets.empty()) {
      int f = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      if (f < 0 || write(f, offsets.data(), offsets.size()) < 0) {
        ChildFail(fd, errno, "write /proc/self/timens_offsets");
      }
      close(f);
    }
  }
  uint64_t flags = c.namespaces.CloneFlags() & ~uint64_t{CLONE_NEWTIME};
  auto child = sys::Clone3(flags | CLONE_PARENT);
  if (!child) ChildFail(fd, child.error().sys_errno(), "clone init process");
  if (child->pid == 0) RunInit(c);
  SyncMessage message;
  message.type = SyncType::kPid;
  message.pid = child->pid;
  (void)SendSyncMessage(fd, message);
  _exit(0);
}

// Clone creates the init process, through the intermediate when the plan needs one.
Result<Launched> Clone(const InitConfig& config, int parent_fd, int cgroup_fd) {
  Launched launched;
  if (!config.namespaces.NeedsIntermediate()) {
    BERTH_ASSIGN_OR_RETURN(sys::CloneResult child,
                           sys::Clone3(config.namespaces.CloneFlags(), cgroup_fd));
    if (child.pid == 0) RunInit(config);
    launched.pid = child.pid;
    launched.pidfd = std::move(child.pidfd);
    return launched;
  }
  BERTH_ASSIGN_OR_RETURN(sys::CloneResult middle, sys::Clone3(0));
  if (middle.pid == 0) RunIntermediate(config);
  auto message = RecvSync(parent_fd);
  int wait_status;
  while (waitpid(middle.pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!message) return Fail(std::move(message).error().Wrap("start intermediate process"));
  if (message->type == SyncType::kError) return Fail(ErrorFromSync(*message));
  if (message->type != SyncType::kPid) {
    return Fail(ErrorKind::kInternal, "start intermediate process: unexpected message");
  }
  launched.pid = message->pid;
  BERTH_ASSIGN_OR_RETURN(launched.pidfd, sys::PidfdOpen(launched.pid));
  return launched;
}

// Drive answers the init process until it reports "created".
Status Drive(const Launched& child, const InitConfig& config, const LaunchHooks& hooks) {
  const int fd = child.sync.get();
  if (config.namespaces.Creates(CLONE_NEWUSER))
    BERTH_TRY(WriteIdMaps(child.pid, config.namespaces));
  if (hooks.place) BERTH_TRY(hooks.place(child.pid));
  SyncMessage go;
  go.type = SyncType::kGo;
  go.pid = child.pid;
  if (int r = SendSyncMessage(fd, go); r < 0) return Fail(Errno(-r, "signal init process"));
  while (true) {
    UniqueFd passed;
    auto message = RecvSync(fd, &passed);
    if (!message) {
      if (message.error().kind() == ErrorKind::kUnavailable) {
        return Fail(ErrorKind::kInternal, "init process exited before it was created");
      }
      return Fail(std::move(message).error());
    }
    switch (message->type) {
      case SyncType::kCreateHooks:
        if (hooks.create_runtime) BERTH_TRY(hooks.create_runtime(child.pid));
        if (int r = SendSync(fd, SyncType::kGo); r < 0) return Fail(Errno(-r, "resume init"));
        break;
      case SyncType::kConsole:
        if (!passed) return Fail(ErrorKind::kInternal, "console message without a descriptor");
        if (hooks.console) BERTH_TRY(hooks.console(std::move(passed)));
        break;
      case SyncType::kCreated:
        return Ok();
      case SyncType::kError:
        return Fail(ErrorFromSync(*message));
      default:
        return Fail(ErrorKind::kInternal, "unexpected message from init process");
    }
  }
}

}  // namespace

Result<Launched> Launch(InitConfig config, int cgroup_fd, const LaunchHooks& hooks) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return Fail(ErrnoNow("socketpair"));
  }
  UniqueFd parent_end(pair[0]);
  UniqueFd child_end(pair[1]);
  config.proc.sync_fd = child_end.get();
  BERTH_ASSIGN_OR_RETURN(Launched launched, Clone(config, parent_end.get(), cgroup_fd));
  child_end.Reset();
  launched.sync = std::move(parent_end);
  ScopeExit kill([&] {
    (void)sys::PidfdSendSignal(launched.pidfd.get(), SIGKILL);
    int status;
    while (waitpid(launched.pid, &status, 0) < 0 && errno == EINTR) {
    }
  });
  BERTH_TRY(Drive(launched, config, hooks));
  kill.Dismiss();
  return launched;
}

Status WriteIdMaps(pid_t pid, const NamespacePlan& plan) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (!plan.gid_mappings.empty()) {
    BERTH_TRY(WriteFile(proc + "/gid_map", FormatIdMap(plan.gid_mappings)));
  }
  if (!plan.uid_mappings.empty()) {
    BERTH_TRY(WriteFile(proc + "/uid_map", FormatIdMap(plan.uid_mappings)));
  }
  return Ok();
}

}  // namespace berth::runtime
