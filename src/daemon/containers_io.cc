// A container's streams: its log and attaching to its stdio.
#include <fmt/format.h>

#include "daemon/container/shim_client.h"
#include "daemon/containers_internal.h"

namespace berth::daemon {

using container::ContainerStatus;

Status Containers::Logs(std::string_view ref, const container::LogQuery& query,
                        const std::function<Status(const container::LogEntry&)>& sink) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::string path;
  {
    std::lock_guard lock(c->mu);
    if (c->record.host_config.log_config.type == "none") {
      return Fail(ErrorKind::kInvalidArgument,
                  "configured logging driver does not support reading");
    }
    path = c->record.log_path;
  }
  auto running = [&] {
    std::lock_guard lock(c->mu);
    return !c->removed && (c->Running() || c->record.state.status == ContainerStatus::kRestarting);
  };
  return container::ReadLogs(path, query, running, sink);
}

Result<std::pair<UniqueFd, bool>> Containers::Attach(std::string_view ref,
                                                     const AttachStreams& streams) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::unique_lock lock(c->mu);
  const bool tty = c->record.config.tty;
  if (c->record.state.status == ContainerStatus::kRunning) {
    const std::string dir = impl_->ExecDir(c->record.id);
    lock.unlock();
    BERTH_ASSIGN_OR_RETURN(UniqueFd conn, container::ShimRequest(dir, AttachRequestOf(streams)));
    return std::make_pair(std::move(conn), tty);
  }
  if (c->record.state.status == ContainerStatus::kPaused) {
    return Fail(ErrorKind::kConflict, "You cannot attach to a paused container, unpause it first");
  }
  // Not started yet: the start connects this attach before the process runs.
  auto pending = std::make_shared<PendingAttach>();
  pending->streams = streams;
  c->pending_attaches.push_back(pending);
  c->cv.wait(lock, [&] { return pending->connection.has_value() || c->removed; });
  if (!pending->connection) {
    return Fail(ErrorKind::kNotFound, "No such container: " + std::string(ref));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd conn, std::move(*pending->connection));
  return std::make_pair(std::move(conn), tty);
}

}  // namespace berth::daemon
