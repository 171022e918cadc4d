// start, state, kill, delete, pause/resume, list and ps over the state store.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/container_internal.h"
#include "runtime/hook/hooks.h"
#include "sys/process.h"

namespace berth::runtime {
namespace {

struct Loaded {
  ContainerRecord record;
  oci::Status status = oci::Status::kStopped;
  std::optional<cgroup::Cgroup> cgroup;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

Result<Loaded> LoadContainer(const StateStore& store, const std::string& id) {
  Loaded l;
  BERTH_ASSIGN_OR_RETURN(l.record, store.Load(id));
  if (!l.record.cgroup.empty()) {
    BERTH_ASSIGN_OR_RETURN(l.cgroup, cgroup::Cgroup::Load(l.record.cgroup));
  }
  bool alive = ProcessAlive(l.record.pid, l.record.pid_start_time);
  if (!alive) {
    l.status = oci::Status::kStopped;
  } else if (!l.record.ready) {
    l.status = oci::Status::kCreating;
  } else if (Exists(store.FifoPath(id))) {
    l.status = oci::Status::kCreated;
  } else if (l.cgroup && l.cgroup->Frozen().value_or(false)) {
    l.status = oci::Status::kPaused;
  } else {
    l.status = oci::Status::kRunning;
  }
  return l;
}

Status NotIn(const std::string& id, oci::Status status, std::string_view action) {
  return Fail(ErrorKind::kFailedPrecondition, fmt::format("cannot {} container \"{}\": it is {}",
                                                          action, id, oci::StatusName(status)));
}

// Sends sig to the init process through a pidfd, so a recycled pid is never signalled.
Status SignalInit(const ContainerRecord& r, int sig) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd pidfd, sys::PidfdOpen(r.pid));
  if (!ProcessAlive(r.pid, r.pid_start_time)) return Ok();
  return sys::PidfdSendSignal(pidfd.get(), sig);
}

// Kills everything in the container and waits until the init process is gone.
Status KillAndWait(Loaded& l) {
  if (l.cgroup) {
    if (l.status == oci::Status::kPaused) (void)l.cgroup->Thaw();
    (void)l.cgroup->KillAll(SIGKILL);
  }
  auto pidfd = sys::PidfdOpen(l.record.pid);
  if (!pidfd || !ProcessAlive(l.record.pid, l.record.pid_start_time)) return Ok();
  BERTH_TRY(sys::PidfdSendSignal(pidfd->get(), SIGKILL));
  pollfd pfd{pidfd->get(), POLLIN, 0};
  if (poll(&pfd, 1, 10000) <= 0) {
    return Fail(ErrorKind::kDeadlineExceeded,
                fmt::format("kill {}: process {} did not exit", l.record.id, l.record.pid));
  }
  return Ok();
}

// ReleaseAndWaitForExec writes the byte the init process waits for on exec.fifo, then waits until
// the init process has exec'd the container's program (or died): only then does `start` return,
// as runc's does, so that a signal sent right after it reaches the program, not the runtime's
// code. The init process holds the fifo open (read and write) until its exec closes it; a reader
// opened before our writer sees POLLHUP once no writer is left (pipe(7)).
Status ReleaseAndWaitForExec(const std::string& fifo_path) {
  UniqueFd reader(open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!reader) return Fail(ErrnoNow("open " + fifo_path));
  {
    UniqueFd writer(open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!writer) return Fail(ErrnoNow("open " + fifo_path));
    if (write(writer.get(), "0", 1) != 1) return Fail(ErrnoNow("write " + fifo_path));
  }
  unlink(fifo_path.c_str());
  while (true) {
    pollfd pfd{reader.get(), POLLIN, 0};
    int n = poll(&pfd, 1, -1);
    if (n < 0 && errno != EINTR) return Fail(ErrnoNow("poll " + fifo_path));
    if (pfd.revents & (POLLHUP | POLLERR)) return Ok();
    // The byte is still unread: the init process is about to take it. Reading it here would
    // steal it, so look again shortly.
    if (pfd.revents & POLLIN) usleep(1000);
  }
}

}  // namespace

Status Start(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, Annotate(store.Lock(id), "start " + id));
  BERTH_ASSIGN_OR_RETURN(Loaded l, Annotate(LoadContainer(store, id), "start " + id));
  if (l.status != oci::Status::kCreated) return NotIn(id, l.status, "start");
  BERTH_TRY(Annotate(ReleaseAndWaitForExec(store.FifoPath(id)), "start " + id));
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, LoadSpec(store, id));
  RunPoststartHooks(spec, l.record, l.record.pid);
  return Ok();
}

Result<ContainerInfo> Inspect(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(Loaded l, LoadContainer(store, id));
  ContainerInfo info;
  info.state.id = id;
  info.state.status = l.status;
  info.state.pid = l.status == oci::Status::kStopped ? 0 : l.record.pid;
  info.state.bundle = l.record.bundle;
  info.state.annotations = l.record.annotations;
  info.created = l.record.created;
  info.owner = l.record.owner;
  if (auto spec = LoadSpec(store, id); spec && spec->root) {
    info.rootfs = spec->root->path.starts_with("/") ? spec->root->path
                                                    : l.record.bundle + "/" + spec->root->path;
  }
  return info;
}

Result<std::vector<ContainerInfo>> List(const RuntimeOptions& rt) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ids, store.List());
  std::vector<ContainerInfo> out;
  for (const auto& id : ids) {
    auto info = Inspect(rt, id);
    // A directory whose create is still in progress has no state yet: not a container to list.
    if (info) out.push_back(std::move(*info));
  }
  return out;
}

Result<int> ParseSignal(std::string_view name) {
  if (auto n = ParseUint64(name); n) {
    if (*n == 0 || *n >= static_cast<uint64_t>(NSIG)) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid signal number {}", *n));
    }
    return static_cast<int>(*n);
  }
  std::string upper;
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && upper == abbrev) return sig;
  }
  if (upper.starts_with("RTMIN") || upper.starts_with("RTMAX")) {
    bool min = upper.starts_with("RTMIN");
    std::string_view rest = std::string_view(upper).substr(5);
    int offset = 0;
    if (!rest.empty()) {
      auto n = ParseInt64(rest);
      if (!n)
        return Fail(ErrorKind::kInvalidArgument, "invalid signal \"" + std::string(name) + "\"");
      offset = static_cast<int>(*n);
    }
    int sig = min ? SIGRTMIN + offset : SIGRTMAX + offset;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
  }
  return Fail(ErrorKind::kInvalidArgument, "invalid signal \"" + std::string(name) + "\"");
}

Status Kill(const RuntimeOptions& rt, const std::string& id, int signal, bool all) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, Annotate(store.Lock(id), "kill " + id));
  BERTH_ASSIGN_OR_RETURN(Loaded l, Annotate(LoadContainer(store, id), "kill " + id));
  if (l.status == oci::Status::kStopped) return NotIn(id, l.status, "kill");
  if (all && l.cgroup) return Annotate(l.cgroup->KillAll(signal), "kill " + id);
  return Annotate(SignalInit(l.record, signal), "kill " + id);
}

Status Delete(const RuntimeOptions& rt, const std::string& id, bool force) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, Annotate(store.Lock(id), "delete " + id));
  auto loaded = LoadContainer(store, id);
  if (!loaded) {
    // A directory without state is what a create killed midway leaves: clean it up.
    if (loaded.error().kind() == ErrorKind::kNotFound) return store.Remove(id);
    return Fail(std::move(loaded).error().Wrap("delete " + id));
  }
  Loaded& l = *loaded;
  bool must_force = l.status == oci::Status::kRunning || l.status == oci::Status::kPaused;
  if (must_force && !force) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("cannot delete container \"{}\" that is not stopped: {} (use --force)",
                            id, oci::StatusName(l.status)));
  }
  if (l.status != oci::Status::kStopped) BERTH_TRY(Annotate(KillAndWait(l), "delete " + id));
  auto spec = LoadSpec(store, id);
  if (spec && spec->hooks && !spec->hooks->poststop.empty()) {
    Status s = RunHooks(spec->hooks->poststop, "poststop",
                        HookStateJson(l.record, l.record.pid, oci::Status::kStopped));
    if (!s) log::Warn("{}", s.error().message());
  }
  if (l.cgroup) BERTH_TRY(Annotate(l.cgroup->Destroy(), "delete " + id));
  return store.Remove(id);
}

Status Pause(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, Annotate(store.Lock(id), "pause " + id));
  BERTH_ASSIGN_OR_RETURN(Loaded l, Annotate(LoadContainer(store, id), "pause " + id));
  if (l.status != oci::Status::kRunning && l.status != oci::Status::kCreated) {
    return NotIn(id, l.status, "pause");
  }
  if (!l.cgroup) return Fail(ErrorKind::kFailedPrecondition, "pause " + id + ": no cgroup");
  return Annotate(l.cgroup->Freeze(), "pause " + id);
}

Status Resume(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, Annotate(store.Lock(id), "resume " + id));
  BERTH_ASSIGN_OR_RETURN(Loaded l, Annotate(LoadContainer(store, id), "resume " + id));
  if (l.status != oci::Status::kPaused) return NotIn(id, l.status, "resume");
  return Annotate(l.cgroup->Thaw(), "resume " + id);
}

Result<std::vector<pid_t>> Pids(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(Loaded l, Annotate(LoadContainer(store, id), "ps " + id));
  if (l.status == oci::Status::kStopped || !l.cgroup) return std::vector<pid_t>{};
  return Annotate(l.cgroup->Pids(), "ps " + id);
}

}  // namespace berth::runtime
