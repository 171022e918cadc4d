// exec: start another process in a running container. The runtime enters the container's pid (and
// time) namespace for its children, clones the process, which joins the remaining namespaces
// through the init's pidfd, enters the cgroup, and finishes like the init process does.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/file.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "oci/linux_names.h"
#include "oci/runtime_spec_json.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/container_internal.h"
#include "runtime/process/init.h"
#include "runtime/process/sync.h"
#include "runtime/terminal/console.h"
#include "sys/process.h"

namespace berth::runtime {
namespace {

// The namespaces the container has of its own: the ones the exec'd process must enter.
uint64_t ContainerNamespaces(const oci::Spec& spec) {
  uint64_t flags = 0;
  if (!spec.linux) return flags;
  for (const auto& ns : spec.linux->namespaces)
    flags |= oci::NamespaceCloneFlag(ns.type).value_or(0);
  return flags;
}

// Without a mount namespace of its own (it shares the runtime's or joined one by path) the
// container's init process chrooted into the rootfs; a new process must enter that root too.
bool OwnsMountNamespace(const oci::Spec& spec) {
  if (!spec.linux) return false;
  for (const auto& ns : spec.linux->namespaces) {
    if (ns.type == "mount" && ns.path.empty()) return true;
  }
  return false;
}

// root_fd >= 0: the init process's root, entered after the namespaces.
[[noreturn]] void RunExecChild(const ProcessConfig& c, const cgroup::Cgroup::Entry& cgroup,
                               int init_pidfd, uint64_t ns_flags, int root_fd) noexcept {
  const int fd = c.sync_fd;
  uint64_t join = ns_flags & ~uint64_t{CLONE_NEWPID | CLONE_NEWTIME};
  if (join && setns(init_pidfd, static_cast<int>(join)) < 0) {
    ChildFail(fd, errno, "join the container's namespaces");
  }
  if (root_fd >= 0 && (fchdir(root_fd) < 0 || chroot(".") < 0)) {
    ChildFail(fd, errno, "enter the container's root");
  }
  auto go = RecvSync(fd);
  if (!go || go->type != SyncType::kGo) _exit(126);
  if (const char* failed = cgroup::Cgroup::JoinSelf(cgroup)) {
    ChildFail(fd, errno, (std::string("join cgroup: write ") + failed).c_str());
  }
  ExecProcess(c);
}

}  // namespace

Result<oci::Process> ExecProcessOf(const oci::Spec& spec, const ExecOptions& o) {
  if (!o.process_file.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(o.process_file));
    return Annotate(oci::DecodeProcess(text), o.process_file);
  }
  if (o.args.empty()) return Fail(ErrorKind::kInvalidArgument, "exec: no command given");
  oci::Process p = spec.process.value_or(oci::Process{});
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  for (const auto& e : o.env) SetEnv(p.env, e);
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (o.user) p.user = *o.user;
  if (o.no_new_privileges) p.no_new_privileges = true;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    for (const auto& cap : o.caps) {
      for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                        &p.capabilities->permitted, &p.capabilities->ambient}) {
        set->push_back(cap);
      }
    }
  }
  return p;
}

Result<SpawnedExec> SpawnExec(const RuntimeOptions& rt, const std::string& id, const ExecOptions& o,
                              const oci::Process* given) {
  const std::string context = "exec " + id;
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(ContainerInfo info, Annotate(Inspect(rt, id), context));
  if (info.state.status != oci::Status::kRunning && info.state.status != oci::Status::kCreated) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("{}: container is {}", context, oci::StatusName(info.state.status)));
  }
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store.Load(id));
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, Annotate(LoadSpec(store, id), context));
  oci::Process process;
  if (given) {
    process = *given;
  } else {
    BERTH_ASSIGN_OR_RETURN(process, Annotate(ExecProcessOf(spec, o), context));
  }
  ProcessConfig config;
  config.process = &process;
  BERTH_ASSIGN_OR_RETURN(config.caps, Annotate(PlanProcessCapabilities(process), context));
  if (spec.linux && spec.linux->seccomp) {
    BERTH_ASSIGN_OR_RETURN(config.seccomp,
                           Annotate(BuildSeccomp(rt, *spec.linux->seccomp), context));
  }
  config.preserve_fds = o.preserve_fds;
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup cg, cgroup::Cgroup::Load(record.cgroup));
  BERTH_ASSIGN_OR_RETURN(UniqueFd init_pidfd, sys::PidfdOpen(record.pid));
  if (!ProcessAlive(record.pid, record.pid_start_time)) {
    return Fail(ErrorKind::kFailedPrecondition, context + ": container is stopped");
  }

  uint64_t ns_flags = ContainerNamespaces(spec);
  UniqueFd root;
  if (!OwnsMountNamespace(spec)) {
    std::string root_path = fmt::format("/proc/{}/root", record.pid);
    root.Reset(open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Fail(ErrnoNow(context + ": open " + root_path));
  }
  // Entering a pid or time namespace applies to the children of the caller only; the caller's own
  // namespaces are entered again for its children after the clone, so that a long-lived caller
  // (a monitor running several execs) forks its later children where it always did.
  uint64_t for_children = ns_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  UniqueFd own_pid_ns, own_time_ns;
  if (for_children & CLONE_NEWPID) {
    own_pid_ns.Reset(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pid_ns) return Fail(ErrnoNow(context + ": open /proc/self/ns/pid"));
  }
  if (for_children & CLONE_NEWTIME) {
    own_time_ns.Reset(open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC));
    if (!own_time_ns) return Fail(ErrnoNow(context + ": open /proc/self/ns/time"));
  }
  if (for_children && setns(init_pidfd.get(), static_cast<int>(for_children)) < 0) {
    return Fail(ErrnoNow(context + ": join pid namespace"));
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return Fail(ErrnoNow(context + ": socketpair"));
  }
  UniqueFd parent_end(pair[0]), child_end(pair[1]);
  config.sync_fd = child_end.get();
  // The process starts in the unified cgroup and joins the v1 ones itself (Cgroup::Entry).
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup::Entry entry, Annotate(cg.OpenEntry(), context));
  BERTH_ASSIGN_OR_RETURN(sys::CloneResult child,
                         Annotate(sys::Clone3(0, entry.v2_dir.get()), context));
  if (child.pid == 0) RunExecChild(config, entry, init_pidfd.get(), ns_flags, root.get());
  child_end.Reset();
  ChildProcess guard = *ChildProcess::Adopt(child.pid);
  for (const UniqueFd* ns : {&own_pid_ns, &own_time_ns}) {
    if (*ns && setns(ns->get(), 0) < 0) return Fail(ErrnoNow(context + ": leave namespace"));
  }

  for (const auto& limit : process.rlimits) {
    rlimit value{limit.soft, limit.hard};
    int resource = oci::RlimitNumber(limit.type).value_or(-1);
    if (prlimit(child.pid, static_cast<__rlimit_resource>(resource), &value, nullptr) < 0) {
      return Fail(ErrnoNow(fmt::format("{}: set {}", context, limit.type)));
    }
  }
  SyncMessage go;
  go.type = SyncType::kGo;
  go.pid = child.pid;
  if (int r = SendSyncMessage(parent_end.get(), go); r < 0) return Fail(Errno(-r, context));
  SpawnedExec spawned;
  while (true) {
    UniqueFd passed;
    auto message = RecvSync(parent_end.get(), &passed);
    if (!message) break;  // EOF: the process exec'd
    if (message->type == SyncType::kError) return Fail(ErrorFromSync(*message).Wrap(context));
    if (message->type == SyncType::kConsole) {
      if (!o.console_socket.empty()) {
        BERTH_TRY(Annotate(SendConsole(o.console_socket, passed.get()), context));
      } else {
        spawned.console = std::move(passed);
      }
    }
  }
  if (!o.pid_file.empty()) {
    BERTH_TRY(WriteFileAtomic(o.pid_file, std::to_string(child.pid), 0644, Lifetime::kUntilReboot));
  }
  // From here the process belongs to the caller.
  guard.Release();
  spawned.pid = child.pid;
  spawned.pidfd = std::move(child.pidfd);
  return spawned;
}

Result<int> Exec(const RuntimeOptions& rt, const std::string& id, const ExecOptions& o) {
  sigset_t forwarded = ForwardedSignals();
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  BERTH_ASSIGN_OR_RETURN(SpawnedExec spawned, SpawnExec(rt, id, o, nullptr));
  if (o.detach) return 0;
  BERTH_ASSIGN_OR_RETURN(ExitStatus status, WaitForeground(spawned.pid, spawned.pidfd.get(),
                                                           spawned.console.get(), forwarded));
  return status.ShellCode();
}

}  // namespace berth::runtime
