// Start, stop, kill, pause, wait and remove; the monitor of the shims and the worker that runs
// restarts and auto-removals.
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "daemon/container/shim_client.h"
#include "daemon/container/spec.h"
#include "daemon/container/user.h"
#include "daemon/containers_internal.h"
#include "image/snapshot/mount.h"
#include "oci/image_spec_json.h"
#include "oci/runtime_spec_json.h"
#include "runtime/container.h"
#include "shim/exit_record.h"

namespace berth::daemon {

using container::ContainerStatus;
using container::Record;
using nlohmann::json;

namespace {

constexpr auto kFirstRestartDelay = std::chrono::milliseconds(100);
constexpr auto kMaxRestartDelay = std::chrono::milliseconds(60000);
constexpr auto kRestartDelayReset = std::chrono::seconds(10);  // a run this long resets it

std::string Now() { return FormatRfc3339Nano(std::chrono::system_clock::now()); }

// The exit code docker records when a container cannot start: 127 for a command not found, 126
// for one that cannot be run, 128 otherwise.
int StartFailureCode(const std::string& message) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (message.find("permission denied") != std::string::npos) return 126;
  return 128;
}

bool ShouldRestart(const Record& r) {
  if (r.state.manually_stopped) return false;
  const container::RestartPolicy& p = r.host_config.restart_policy;
  if (p.name == "always" || p.name == "unless-stopped") return true;
  if (p.name == "on-failure") {
    return r.state.exit_code != 0 &&
           (p.maximum_retry_count == 0 || r.restart_count < p.maximum_retry_count);
  }
  return false;
}

Result<int> StopSignal(const Record& r, const std::optional<std::string>& signal) {
  std::string name = signal ? *signal : r.config.image.stop_signal;
  if (name.empty()) return SIGTERM;
  return Annotate(runtime::ParseSignal(name), "invalid stop signal");
}

}  // namespace

// ---- start ----

Result<bool> Containers::Impl::StartLocked(const std::shared_ptr<Container>& c, bool restart) {
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  const std::string id = r.id;
  switch (r.state.status) {
    case ContainerStatus::kRunning:
      return false;
    case ContainerStatus::kPaused:
      return Fail(ErrorKind::kConflict, "cannot start a paused container, try unpause instead");
    case ContainerStatus::kRemoving:
    case ContainerStatus::kDead:
      return Fail(ErrorKind::kConflict,
                  fmt::format("container {} is marked for removal and cannot be started", id));
    default:
      break;
  }
  const Record snapshot = r;
  lock.unlock();

  const std::string bundle = ExecDir(id);
  const std::string rootfs = bundle + "/rootfs";
  (void)RemoveAll(bundle);  // what a previous run left
  BERTH_TRY(MakeDirs(rootfs, 0700));
  ScopeExit clean_bundle([&] { (void)RemoveAll(bundle); });
  BERTH_ASSIGN_OR_RETURN(std::vector<image::snapshot::Mount> mounts,
                         images.snapshotter().Mounts(id));
  BERTH_TRY(image::snapshot::MountAll(mounts, rootfs));
  ScopeExit unmount([&] { (void)image::snapshot::UnmountAll(rootfs); });
  std::vector<container::MountPoint> mount_points = snapshot.mount_points;
  bool activated = false;
  ScopeExit deactivate([&] {
    if (activated) DeactivateMounts(id, mount_points);
  });

  auto fail_start = [&](Error error) -> Result<bool> {
    std::lock_guard relock(c->mu);
    TearDownNetwork(r);
    r.state.status = ContainerStatus::kExited;
    r.state.exit_code = StartFailureCode(error.message());
    r.state.error = error.message();
    r.state.finished_at = Now();
    (void)container::SaveRecord(DataDir(id), r);
    c->cv.notify_all();
    // As docker: a container that was to be removed when it ends is removed when it cannot start.
    if (r.host_config.auto_remove)
      Schedule(std::chrono::milliseconds(0), {Task::Kind::kRemove, id});
    return Fail(std::move(error));
  };

  Result<std::string> netns = SetUpNetwork(c);
  if (!netns) return fail_start(std::move(netns).error());
  ScopeExit network_down([&] {
    std::lock_guard relock(c->mu);
    TearDownNetwork(r);
  });

  Status planned = [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Digest image_id, Digest::Parse(snapshot.image_id));
    BERTH_ASSIGN_OR_RETURN(std::string config_text, images.ReadBlob(image_id));
    BERTH_ASSIGN_OR_RETURN(oci::ImageConfig image_config, oci::DecodeImageConfig(config_text));
    const oci::ContainerConfig image = image_config.config.value_or(oci::ContainerConfig{});
    const std::string user =
        !snapshot.config.image.user.empty() ? snapshot.config.image.user : image.user;
    const std::string data_dir = DataDir(id);
    container::SpecInput input{
        .id = id,
        .hostname = snapshot.config.hostname,
        .rootfs = rootfs,
        .hostname_file = data_dir + "/hostname",
        .hosts_file = data_dir + "/hosts",
        .resolv_conf_file = data_dir + "/resolv.conf",
        .init_path = options.init_path,
        .netns_path = *netns,
        .cgroupns_private_default =
            options.cgroup_layout && options.cgroup_layout->mode == runtime::cgroup::Mode::kV2,
        .seccomp_host = options.seccomp_host};
    BERTH_ASSIGN_OR_RETURN(input.user,
                           container::ResolveUser(rootfs, user, snapshot.host_config.group_add));
    BERTH_TRY(ActivateMounts(id, mount_points, rootfs));
    activated = true;
    input.mounts = mount_points;
    BERTH_ASSIGN_OR_RETURN(
        oci::Spec spec, container::BuildSpec(snapshot.config, snapshot.host_config, image, input));
    return WriteFile(bundle + "/config.json", oci::EncodeSpec(spec), 0600);
  }();
  if (!planned) return fail_start(std::move(planned).error());

  BERTH_ASSIGN_OR_RETURN(container::LogRotation rotation,
                         container::ParseLogRotation(snapshot.host_config.log_config));
  Result<std::pair<std::string, std::vector<std::string>>> runtime =
      RuntimeOf(snapshot.host_config.runtime);
  if (!runtime) return fail_start(std::move(runtime).error());
  container::ShimLaunch launch{.shim_path = options.shim_path,
                               .id = id,
                               .bundle = bundle,
                               .runtime_root = runtime->first,
                               .runtime_command = runtime->second,
                               .state_dir = bundle,
                               .seccomp_cache = SeccompCacheDir(),
                               .tty = snapshot.config.tty,
                               .open_stdin = snapshot.config.open_stdin,
                               .stdin_once = snapshot.config.stdin_once,
                               .log_path = snapshot.log_path,
                               .log_max_size = rotation.max_size,
                               .log_max_file = rotation.max_file,
                               .debug = options.debug};
  Result<pid_t> pid = container::SpawnShim(launch);
  if (!pid) return fail_start(std::move(pid).error());
  std::optional<std::pair<pid_t, UniqueFd>> shim = container::OpenShim(bundle);
  if (!shim) {
    return fail_start(Error(ErrorKind::kInternal, "start " + id + ": the shim went away"));
  }
  // From here the shim owns the bundle; the monitor cleans up when it exits.
  clean_bundle.Dismiss();
  unmount.Dismiss();
  deactivate.Dismiss();
  network_down.Dismiss();
  const uint64_t exits_before = [&] {
    std::lock_guard relock(c->mu);
    return c->exits;
  }();
  BERTH_TRY(Watch(id, std::move(shim->second)));

  // Attaches made before the start get their streams now, before the process runs.
  lock.lock();
  std::vector<std::shared_ptr<PendingAttach>> pending = std::move(c->pending_attaches);
  c->pending_attaches.clear();
  lock.unlock();
  for (const auto& p : pending) {
    Result<UniqueFd> conn = container::ShimRequest(bundle, AttachRequestOf(p->streams));
    std::lock_guard relock(c->mu);
    p->connection = std::move(conn);
  }
  if (!pending.empty()) c->cv.notify_all();

  // The record says running before the process starts: its exit, which the monitor may record
  // at any moment after the start, then always comes later and is never overwritten.
  lock.lock();
  r.state.status = ContainerStatus::kRunning;
  r.state.pid = *pid;
  r.state.exit_code = 0;
  r.state.error.clear();
  r.state.oom_killed = false;
  r.state.manually_stopped = false;
  r.state.started_at = Now();
  r.state.finished_at = container::kZeroTime;
  if (restart) ++r.restart_count;
  c->started = std::chrono::steady_clock::now();
  ArmHealth(c, true);
  Status saved = container::SaveRecord(DataDir(id), r);
  if (saved) Emit(r, "start");
  c->cv.notify_all();
  lock.unlock();
  Result<UniqueFd> started = saved ? container::ShimRequest(bundle, shim::StartRequest{})
                                   : Result<UniqueFd>(Fail(saved.error()));
  if (!started) {
    Error error = std::move(started).error();
    (void)container::ShimRequest(bundle, shim::KillRequest{.signal = SIGKILL, .all = true});
    lock.lock();
    WaitForExit(c, lock, exits_before, std::chrono::seconds(10));
    lock.unlock();
    return fail_start(std::move(error));
  }
  return true;
}

Result<bool> Containers::Start(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  return impl_->StartLocked(c, false);
}

// ---- stop, kill, pause ----

bool Containers::Impl::WaitForExit(const std::shared_ptr<Container>& c,
                                   std::unique_lock<std::mutex>& lock, uint64_t exits_before,
                                   std::optional<std::chrono::milliseconds> timeout) {
  auto exited = [&] { return c->exits > exits_before || c->removed; };
  if (!timeout) {
    c->cv.wait(lock, exited);
    return true;
  }
  return c->cv.wait_for(lock, *timeout, exited);
}

Status Containers::Impl::SignalShim(const std::shared_ptr<Container>& c, int signal, bool all) {
  return container::ShimRequest(ExecDir(c->record.id),
                                shim::KillRequest{.signal = signal, .all = all})
      .map([](auto&&) {});
}

Result<bool> Containers::Impl::StopLocked(const std::shared_ptr<Container>& c,
                                          std::optional<int> timeout_s,
                                          std::optional<std::string> signal, bool by_hand) {
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  if (r.state.status == ContainerStatus::kRestarting) {
    // A restart is pending: cancel it.
    r.state.status = ContainerStatus::kExited;
    r.state.manually_stopped = true;
    BERTH_TRY(container::SaveRecord(DataDir(r.id), r));
    c->cv.notify_all();
    return true;
  }
  if (!c->Running()) return false;
  BERTH_ASSIGN_OR_RETURN(int sig, StopSignal(r, signal));
  r.state.manually_stopped = by_hand;
  BERTH_TRY(container::SaveRecord(DataDir(r.id), r));
  const uint64_t exits_before = c->exits;
  const bool paused = r.state.status == ContainerStatus::kPaused;
  int timeout = timeout_s ? *timeout_s : r.config.stop_timeout.value_or(10);
  lock.unlock();
  if (paused) (void)container::ShimRequest(ExecDir(r.id), shim::ResumeRequest{});
  Status signalled = SignalShim(c, sig, false);
  lock.lock();
  bool done = false;
  if (signalled) {
    done = WaitForExit(
        c, lock, exits_before,
        timeout < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(timeout * 1000)));
  }
  if (!done) {
    lock.unlock();
    Status killed = SignalShim(c, SIGKILL, true);
    lock.lock();
    if (!killed && c->exits == exits_before) return Fail(std::move(killed).error());
    WaitForExit(c, lock, exits_before, std::nullopt);
  }
  Emit(r, "stop");
  return true;
}

Result<bool> Containers::Stop(std::string_view ref, std::optional<int> timeout_s,
                              std::optional<std::string> signal) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  return impl_->StopLocked(c, timeout_s, std::move(signal));
}

Status Containers::Restart(std::string_view ref, std::optional<int> timeout_s,
                           std::optional<std::string> signal) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  BERTH_TRY(impl_->StopLocked(c, timeout_s, std::move(signal)));
  BERTH_TRY(impl_->StartLocked(c, false));
  std::lock_guard lock(c->mu);
  impl_->Emit(c->record, "restart");
  return Ok();
}

Status Containers::Kill(std::string_view ref, std::string_view signal) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  BERTH_ASSIGN_OR_RETURN(
      int sig, Annotate(runtime::ParseSignal(signal.empty() ? "KILL" : signal), "invalid signal"));
  std::unique_lock lock(c->mu);
  if (!c->Running()) {
    return Fail(ErrorKind::kConflict, fmt::format("Container {} is not running", c->record.id));
  }
  c->record.state.manually_stopped = true;
  BERTH_TRY(container::SaveRecord(impl_->DataDir(c->record.id), c->record));
  impl_->Emit(c->record, "kill", {{"signal", std::to_string(sig)}});
  lock.unlock();
  return impl_->SignalShim(c, sig, false);
}

Status Containers::Impl::PauseOrResume(const std::shared_ptr<Container>& c, bool pause) {
  Impl& d = *this;
  std::lock_guard op(c->op_mu);
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  if (!c->Running()) {
    return Fail(ErrorKind::kConflict, fmt::format("Container {} is not running", r.id));
  }
  const bool paused = r.state.status == ContainerStatus::kPaused;
  if (pause && paused) {
    return Fail(ErrorKind::kConflict, fmt::format("Container {} is already paused", r.id));
  }
  if (!pause && !paused) {
    return Fail(ErrorKind::kConflict, fmt::format("Container {} is not paused", r.id));
  }
  lock.unlock();
  const shim::Request request =
      pause ? shim::Request(shim::PauseRequest{}) : shim::Request(shim::ResumeRequest{});
  BERTH_TRY(container::ShimRequest(d.ExecDir(r.id), request));
  lock.lock();
  if (c->Running()) {
    r.state.status = pause ? ContainerStatus::kPaused : ContainerStatus::kRunning;
    BERTH_TRY(container::SaveRecord(d.DataDir(r.id), r));
    d.Emit(r, pause ? "pause" : "unpause");
    c->cv.notify_all();
  }
  return Ok();
}

Status Containers::Pause(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  return impl_->PauseOrResume(c, true);
}

Status Containers::Unpause(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  return impl_->PauseOrResume(c, false);
}

Result<std::vector<pid_t>> Containers::Pids(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  {
    std::lock_guard lock(c->mu);
    if (!c->Running()) {
      return Fail(ErrorKind::kConflict, fmt::format("Container {} is not running", c->record.id));
    }
  }
  json answer;
  BERTH_TRY(container::ShimRequest(impl_->ExecDir(c->record.id), shim::PidsRequest{}, &answer));
  std::vector<pid_t> pids;
  for (const json& pid : answer.value("pids", json::array())) {
    if (pid.is_number_integer()) pids.push_back(pid.get<pid_t>());
  }
  return pids;
}

Status Containers::Resize(std::string_view ref, int height, int width) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  {
    std::lock_guard lock(c->mu);
    if (!c->Running()) {
      return Fail(ErrorKind::kConflict, fmt::format("Container {} is not running", c->record.id));
    }
  }
  BERTH_ASSIGN_OR_RETURN(shim::ResizeRequest request, ResizeOf(height, width));
  return container::ShimRequest(impl_->ExecDir(c->record.id), request).map([](auto&&) {});
}

// ---- wait ----

Result<WaitResult> Containers::Wait(std::string_view ref, WaitCondition condition,
                                    const std::function<Status()>& registered) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::unique_lock lock(c->mu);
  const uint64_t exits_before = c->exits;
  const bool running = c->Running() || c->record.state.status == ContainerStatus::kRestarting;
  lock.unlock();
  BERTH_TRY(registered());
  lock.lock();
  auto holds = [&] {
    switch (condition) {
      case WaitCondition::kNotRunning:
        return !running || c->exits > exits_before || c->removed;
      case WaitCondition::kNextExit:
        return c->exits > exits_before || c->removed;
      case WaitCondition::kRemoved:
        return c->removed;
    }
    return true;
  };
  c->cv.wait(lock, [&] { return holds() || impl_->waits_ended; });
  if (!holds()) return Fail(ErrorKind::kUnavailable, "berthd is shutting down");
  return WaitResult{.exit_code = c->record.state.exit_code, .error = c->record.state.error};
}

void Containers::EndWaits() {
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, c] : impl_->by_id) all.push_back(c);
  }
  impl_->waits_ended = true;
  for (const std::shared_ptr<Container>& c : all) {
    std::lock_guard lock(c->mu);  // a waiter between its check and its sleep is not missed
    c->cv.notify_all();
  }
}

// ---- remove ----

Status Containers::Impl::RemoveLocked(const std::shared_ptr<Container>& c, bool force,
                                      bool remove_volumes) {
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  if (c->removed) return Ok();
  if (c->Running()) {
    if (!force) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("cannot remove container \"{}\": container is running: stop the "
                              "container before removing or force remove",
                              r.name));
    }
    const uint64_t exits_before = c->exits;
    lock.unlock();
    BERTH_TRY(SignalShim(c, SIGKILL, true));
    lock.lock();
    WaitForExit(c, lock, exits_before, std::nullopt);
  }
  r.state.status = ContainerStatus::kRemoving;
  const std::string id = r.id;
  lock.unlock();
  BERTH_TRY(Annotate(images.RemoveRootfs(id), "remove container " + id));
  BERTH_TRY(RemoveAll(DataDir(id)));
  (void)RemoveAll(ExecDir(id));
  ReleaseMounts(id, r.mount_points, remove_volumes);
  Forget(id);
  Emit(r, "destroy");
  lock.lock();
  c->removed = true;
  for (const auto& p : c->pending_attaches) {
    p->connection = Fail(ErrorKind::kNotFound, "No such container: " + id);
  }
  c->pending_attaches.clear();
  c->cv.notify_all();
  return Ok();
}

// ---- the monitor: exits and restarts ----

Status Containers::Impl::Watch(const std::string& id, UniqueFd pidfd) {
  std::lock_guard lock(mu);
  epoll_event event{.events = EPOLLIN, .data = {.fd = pidfd.get()}};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pidfd.get(), &event) < 0) {
    return Fail(ErrnoNow("watch shim of " + id));
  }
  watched[pidfd.Release()] = id;
  return Ok();
}

void Containers::Impl::OnShimExit(const std::shared_ptr<Container>& c) {
  std::unique_lock lock(c->mu);
  Record& r = c->record;
  const std::string bundle = ExecDir(r.id);
  Result<shim::ExitRecord> exit = shim::ReadExitRecord(bundle);
  (void)image::snapshot::UnmountAll(bundle + "/rootfs");
  (void)runtime::Delete({.root = RuntimeRoot()}, r.id, true);
  (void)RemoveAll(bundle);
  DeactivateMounts(r.id, r.mount_points);
  r.state.status = ContainerStatus::kExited;
  r.state.pid = 0;
  DisarmHealth(*c);
  TearDownNetwork(r);
  if (exit) {
    r.state.exit_code = exit->exit_code;
    r.state.oom_killed = exit->oom_killed;
    r.state.finished_at = exit->finished_at.empty() ? Now() : exit->finished_at;
  } else {
    r.state.exit_code = 255;
    r.state.error = "berth-shim ended without recording the container's exit";
    r.state.finished_at = Now();
  }
  const bool restart = ShouldRestart(r);
  if (restart) {
    r.state.status = ContainerStatus::kRestarting;
    const auto ran = std::chrono::steady_clock::now() - c->started;
    c->restart_delay = ran >= kRestartDelayReset || c->restart_delay.count() == 0
                           ? kFirstRestartDelay
                           : std::min(c->restart_delay * 2, kMaxRestartDelay);
  }
  ++c->exits;
  if (r.state.oom_killed) Emit(r, "oom");
  Emit(r, "die", {{"exitCode", std::to_string(r.state.exit_code)}});
  const bool remove = !restart && r.host_config.auto_remove;
  // A container removed next needs no record of its exit: after a crash in between, the next
  // daemon finds it running without a shim, records an unknown exit and removes it all the same.
  if (Status saved = remove ? Ok() : container::SaveRecord(DataDir(r.id), r); !saved) {
    log::Error("container {}: {}", r.id, saved.error().message());
  }
  const std::string id = r.id;
  const auto delay = c->restart_delay;
  c->cv.notify_all();
  lock.unlock();
  bool left_to_next_daemon = false;
  {
    std::lock_guard daemon_lock(mu);
    left_to_next_daemon = shutting_down;
  }
  if (restart && !left_to_next_daemon) Schedule(delay, {Task::Kind::kRestart, id});
  if (remove) Schedule(std::chrono::milliseconds(0), {Task::Kind::kRemove, id});
}

void Containers::Shutdown() {
  std::vector<std::shared_ptr<Container>> running;
  {
    std::lock_guard lock(impl_->mu);
    impl_->shutting_down = true;
    for (const auto& [id, c] : impl_->by_id) running.push_back(c);
  }
  std::erase_if(running, [](const std::shared_ptr<Container>& c) {
    std::lock_guard lock(c->mu);
    return !c->Running();
  });
  log::Info("stopping {} running containers (live-restore is off)", running.size());
  std::vector<std::thread> stops;
  for (const std::shared_ptr<Container>& c : running) {
    stops.emplace_back([this, c] {
      std::lock_guard op(c->op_mu);
      Result<bool> stopped = impl_->StopLocked(c, std::nullopt, std::nullopt, false);
      if (!stopped) log::Error("stop {}: {}", c->record.id, stopped.error().message());
    });
  }
  for (std::thread& stop : stops) stop.join();
}

Result<std::pair<std::string, std::vector<std::string>>> Containers::Impl::RuntimeOf(
    const std::string& name) const {
  if (name.empty() || name == kBuiltinRuntime) {
    return std::pair{RuntimeRoot(), std::vector<std::string>{}};
  }
  auto it = options.runtimes.find(name);
  if (it == options.runtimes.end()) {
    return Fail(ErrorKind::kInvalidArgument, "Unknown runtime specified " + name);
  }
  std::vector<std::string> command = {it->second.path};
  command.insert(command.end(), it->second.args.begin(), it->second.args.end());
  return std::pair{options.exec_root + "/runtimes/" + name, std::move(command)};
}

void Containers::Impl::Recover(const std::shared_ptr<Container>& c) {
  const ContainerStatus status = c->record.state.status;
  const std::string id = c->record.id;
  if (status == ContainerStatus::kRunning || status == ContainerStatus::kPaused) {
    // Its volumes are in use again (the filesystems mounted for it are still there).
    std::vector<container::MountPoint> points = c->record.mount_points;
    if (Status activated = ActivateMounts(id, points, ""); !activated) {
      log::Warn("container {}: {}", id, activated.error().message());
    }
    if (auto shim = container::OpenShim(ExecDir(id))) {
      if (Watch(id, std::move(shim->second))) {
        std::lock_guard lock(c->mu);
        RestoreNetwork(c->record);
        ArmHealth(c, false);
        return;
      }
    }
    OnShimExit(c);  // it ended while the daemon was away
  } else if (status == ContainerStatus::kRestarting) {
    Schedule(kFirstRestartDelay, {Task::Kind::kRestart, id});
  } else if (status == ContainerStatus::kRemoving) {
    Schedule(std::chrono::milliseconds(0), {Task::Kind::kRemove, id});
  }
}

void Containers::Impl::Schedule(std::chrono::milliseconds delay, Task task) {
  {
    std::lock_guard lock(mu);
    tasks.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
  }
  tasks_cv.notify_all();
}

void Containers::Impl::MonitorLoop() {
  epoll_event ready[16];
  while (true) {
    int n = epoll_wait(epoll_fd, ready, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::Error("containers: epoll_wait: {}", strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == wake_fd) {
        std::lock_guard lock(mu);
        if (stopping) return;
        continue;
      }
      std::shared_ptr<Container> c;
      {
        std::lock_guard lock(mu);
        auto it = watched.find(fd);
        if (it == watched.end()) continue;
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        if (auto found = by_id.find(it->second); found != by_id.end()) c = found->second;
        watched.erase(it);
        close(fd);
      }
      if (c) OnShimExit(c);
    }
  }
}

void Containers::Impl::WorkerLoop() {
  std::unique_lock lock(mu);
  while (!stopping) {
    if (tasks.empty()) {
      tasks_cv.wait(lock);
      continue;
    }
    auto first = tasks.begin();
    if (first->first > std::chrono::steady_clock::now()) {
      tasks_cv.wait_until(lock, first->first);
      continue;
    }
    Task task = first->second;
    tasks.erase(first);
    auto found = by_id.find(task.id);
    if (found == by_id.end()) continue;
    std::shared_ptr<Container> c = found->second;
    lock.unlock();
    {
      std::lock_guard op(c->op_mu);
      if (task.kind == Task::Kind::kRemove) {
        // As docker: an auto-removed container takes its anonymous volumes with it.
        if (Status removed = RemoveLocked(c, false, true); !removed) {
          log::Error("auto-remove {}: {}", task.id, removed.error().message());
        }
      } else if (task.kind == Task::Kind::kRestartUnhealthy) {
        RestartUnhealthy(c);
      } else {
        bool due = false;
        {
          std::lock_guard clock(c->mu);
          due = c->record.state.status == ContainerStatus::kRestarting && !c->removed;
        }
        if (due) {
          if (Result<bool> started = StartLocked(c, true); !started) {
            log::Error("restart {}: {}", task.id, started.error().message());
          }
        }
      }
    }
    lock.lock();
  }
}

}  // namespace berth::daemon
