// The lifecycle for a monitor process that stays the container's parent (container.h,
// CreateMonitored): create without exec.fifo, start over the sync socket, exec without waiting,
// and the OOM record of the container's memory cgroup.
#include <fmt/format.h>

#include <utility>

#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/container_internal.h"
#include "runtime/process/sync.h"

namespace berth::runtime {
namespace {

// OomKillCount reads the "oom_kill N" line of memory.events (v2) or memory.oom_control (v1).
Result<uint64_t> OomKillCount(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  for (const auto& line : Split(text, '\n')) {
    if (line.starts_with("oom_kill ")) {
      BERTH_ASSIGN_OR_RETURN(uint64_t n, Annotate(ParseUint64(line.substr(9)), path));
      return n;
    }
  }
  return uint64_t{0};
}

}  // namespace

Result<MonitoredProcess> CreateMonitored(const RuntimeOptions& rt, const CreateOptions& options) {
  BERTH_ASSIGN_OR_RETURN(CreatedContainer c,
                         Annotate(CreateContainer(rt, options, false), "create " + options.id));
  MonitoredProcess init;
  init.pid = c.launched.pid;
  init.pidfd = std::move(c.launched.pidfd);
  init.console = std::move(c.console);
  init.start = std::move(c.launched.sync);
  if (c.spec.hooks && !c.spec.hooks->poststart.empty()) {
    init.poststart = std::move(c.spec.hooks->poststart);
    init.poststart_state = HookStateJson(c.record, init.pid, oci::Status::kRunning);
  }
  return init;
}

Status StartMonitored(const std::string& id, MonitoredProcess& init) {
  const std::string context = "start " + id;
  if (!init.start) {
    return Fail(ErrorKind::kFailedPrecondition, context + ": already started");
  }
  UniqueFd sync = std::move(init.start);
  if (int r = SendSync(sync.get(), SyncType::kStart); r < 0) return Fail(Errno(-r, context));
  // The init process closes its end when it execs (close-on-exec); before that it may report a
  // failure of the startContainer hooks or of the exec itself.
  auto message = RecvSync(sync.get());
  if (message && message->type == SyncType::kError) {
    return Fail(ErrorFromSync(*message).Wrap(context));
  }
  RunPoststartHooks(std::exchange(init.poststart, {}), std::exchange(init.poststart_state, {}));
  return Ok();
}

Result<MonitoredProcess> ExecMonitored(const RuntimeOptions& rt, const std::string& id,
                                       const oci::Process& process) {
  BERTH_ASSIGN_OR_RETURN(SpawnedExec spawned, SpawnExec(rt, id, ExecOptions{}, &process));
  MonitoredProcess p;
  p.pid = spawned.pid;
  p.pidfd = std::move(spawned.pidfd);
  p.console = std::move(spawned.console);
  return p;
}

Result<bool> OomKilled(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store.Load(id));
  if (record.cgroup.empty()) return false;
  BERTH_ASSIGN_OR_RETURN(cgroup::Cgroup cg, cgroup::Cgroup::Load(record.cgroup));
  // On a hybrid layout the memory controller is in a v1 hierarchy when one is mounted.
  for (const auto& [controllers, dir] : cg.V1Paths()) {
    for (const auto& c : Split(controllers, ',')) {
      if (c != "memory") continue;
      BERTH_ASSIGN_OR_RETURN(uint64_t n, OomKillCount(dir + "/memory.oom_control"));
      return n > 0;
    }
  }
  if (auto v2 = cg.V2Path()) {
    BERTH_ASSIGN_OR_RETURN(uint64_t n, OomKillCount(*v2 + "/memory.events"));
    return n > 0;
  }
  return false;
}

}  // namespace berth::runtime
