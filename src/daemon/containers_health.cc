// Health checks: one thread probes every container that has a health check (docker runs a
// goroutine per container; here a container costs a map entry). The thread keeps each
// container's next due time, starts a probe as an exec through the container's shim, reads the
// probes' output through one epoll set and kills a probe at its timeout through a pidfd. Results
// go into the record's State.Health (container/health.h holds the rules), with docker's events:
// exec_create, exec_start, exec_die for each probe and health_status on a change. A container
// labelled berth.restart-on-unhealthy=true is restarted when it turns unhealthy.
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "daemon/container/shim_client.h"
#include "daemon/containers_internal.h"
#include "image/store/go_time.h"
#include "sys/process.h"

namespace berth::daemon {

using container::ContainerStatus;
using container::HealthStatus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 64 * 1024;

// The time since the container started, from the record (the daemon may have restarted since).
std::chrono::nanoseconds SinceStart(const container::Record& r) {
  auto started = image::store::ParseRfc3339(r.state.started_at);
  if (!started) return std::chrono::nanoseconds(0);
  return std::max(std::chrono::nanoseconds(0), std::chrono::system_clock::now() - *started);
}

// Forget the probe in flight: its connection leaves the epoll set and is closed (the shim then
// discards the rest of its output).
void DropProbe(int epoll_fd, HealthCheck& h) {
  if (h.connection) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, h.connection.get(), nullptr);
  h.connection.Reset();
  h.pidfd.Reset();
  h.exec_id.clear();
}

// StartProbe runs argv in the container of bundle through its shim; answer gets the shim's
// answer (the probe's pid). As docker's exec create: a paused or stopped container cannot run
// the probe, which then fails; so does a probe that cannot start (no such binary), with docker's
// text as its output.
Result<UniqueFd> StartProbe(const std::string& id, const std::string& bundle,
                            ContainerStatus status, const std::vector<std::string>& argv,
                            nlohmann::json& answer) {
  if (status != ContainerStatus::kRunning) {
    return Fail(ErrorKind::kConflict, fmt::format("Container {} is {}", id,
                                                  status == ContainerStatus::kPaused
                                                      ? "paused, unpause the container before exec"
                                                      : "not running"));
  }
  BERTH_ASSIGN_OR_RETURN(nlohmann::json process,
                         ExecProcess(bundle, container::ExecConfig{.cmd = argv}));
  Result<UniqueFd> conn =
      container::ShimRequest(bundle, shim::ExecRequest{.process = std::move(process)}, &answer);
  if (!conn) return Fail(conn.error().kind(), ExecFailureText(conn.error().message()));
  return conn;
}

}  // namespace

void Containers::Impl::WakeHealth() {
  uint64_t one = 1;
  (void)!write(health_wake_fd, &one, sizeof(one));
}

void Containers::Impl::ArmHealth(const std::shared_ptr<Container>& c, bool fresh) {
  container::Record& r = c->record;
  const std::optional<oci::Healthcheck>& config = r.config.image.healthcheck;
  if (!container::HealthcheckEnabled(config)) {
    r.state.health.reset();
    return;
  }
  Result<std::vector<std::string>> argv = container::ProbeCommand(*config, r.config.image.shell);
  if (!argv) {
    log::Warn("container {}: no health checks: {}", r.id, argv.error().message());
    return;
  }
  if (fresh || !r.state.health) {
    container::Health health = r.state.health.value_or(container::Health{});
    health.status = HealthStatus::kStarting;
    health.failing_streak = 0;
    r.state.health = std::move(health);
  }
  HealthCheck check;
  check.timing = container::TimingOf(*config);
  check.argv = std::move(*argv);
  const auto since_start =
      fresh ? std::chrono::nanoseconds(0)
            : std::chrono::duration_cast<std::chrono::nanoseconds>(SinceStart(r));
  const auto now = Clock::now();
  check.started = now - std::chrono::duration_cast<Clock::duration>(since_start);
  check.due = now + std::chrono::duration_cast<Clock::duration>(container::NextProbeDelay(
                        check.timing, r.state.health->status, since_start));
  {
    std::lock_guard lock(health_mu);
    if (auto it = health_checks.find(r.id); it != health_checks.end()) {
      DropProbe(health_epoll_fd, it->second);
    }
    health_checks[r.id] = std::move(check);
  }
  WakeHealth();
}

void Containers::Impl::DisarmHealth(Container& c) {
  {
    std::lock_guard lock(health_mu);
    auto it = health_checks.find(c.record.id);
    if (it == health_checks.end()) return;
    DropProbe(health_epoll_fd, it->second);
    health_checks.erase(it);
  }
  // Docker reads a container whose checks stopped as unhealthy (without an event).
  if (c.record.state.health) c.record.state.health->status = HealthStatus::kUnhealthy;
}

void Containers::Impl::HealthLoop() {
  epoll_event ready[16];
  while (true) {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
    }
    const auto now = Clock::now();
    std::vector<std::string> due, expired;
    auto next = Clock::time_point::max();
    {
      std::lock_guard lock(health_mu);
      for (const auto& [id, h] : health_checks) {
        const auto when = h.exec_id.empty() ? h.due : h.deadline;
        if (when > now) {
          next = std::min(next, when);
        } else {
          (h.exec_id.empty() ? due : expired).push_back(id);
        }
      }
    }
    for (const std::string& id : expired) TimeOutProbe(id);
    for (const std::string& id : due) BeginProbe(id);
    if (!expired.empty() || !due.empty()) continue;
    int wait_ms = -1;
    if (next != Clock::time_point::max()) {
      // Rounded up, so that the wait never ends just before the time it waits for.
      wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(next - now).count());
    }
    const int n = epoll_wait(health_epoll_fd, ready, 16, wait_ms);
    if (n < 0 && errno != EINTR) {
      log::Error("health checks: epoll_wait: {}", strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == health_wake_fd) {
        uint64_t count = 0;
        (void)!read(health_wake_fd, &count, sizeof(count));
      } else {
        ReadProbe(ready[i].data.fd);
      }
    }
  }
}

void Containers::Impl::BeginProbe(const std::string& id) {
  std::vector<std::string> argv;
  const std::string exec_id = NewId();
  {
    std::lock_guard lock(health_mu);
    auto it = health_checks.find(id);
    if (it == health_checks.end() || !it->second.exec_id.empty()) return;
    HealthCheck& h = it->second;
    h.exec_id = exec_id;
    h.start_time = FormatRfc3339Nano(std::chrono::system_clock::now());
    h.probe_started = Clock::now();
    h.deadline = h.probe_started + std::chrono::duration_cast<Clock::duration>(h.timing.timeout);
    h.output = {};
    h.frames = {};
    argv = h.argv;
  }
  Result<std::shared_ptr<Container>> c = Find(id);
  if (!c) return;
  const std::string command = Join(argv, " ");
  ContainerStatus status;
  {
    std::lock_guard lock((*c)->mu);
    status = (*c)->record.state.status;
    Emit((*c)->record, "exec_create: " + command, {{"execID", exec_id}});
  }
  nlohmann::json answer;
  Result<UniqueFd> conn = StartProbe(id, ExecDir(id), status, argv, answer);
  if (!conn) {
    FinishProbe(id, exec_id, -1, conn.error().message(), std::nullopt);
    return;
  }
  {
    std::lock_guard lock((*c)->mu);
    Emit((*c)->record, "exec_start: " + command, {{"execID", exec_id}});
  }
  // The pidfd pins the probe process for the kill at its timeout; a probe already gone needs
  // none.
  Result<UniqueFd> pidfd = sys::PidfdOpen(answer.value("pid", 0));
  fcntl(conn->get(), F_SETFL, fcntl(conn->get(), F_GETFL) | O_NONBLOCK);
  std::lock_guard lock(health_mu);
  auto it = health_checks.find(id);
  if (it == health_checks.end() || it->second.exec_id != exec_id) return;
  HealthCheck& h = it->second;
  epoll_event event{.events = EPOLLIN, .data = {.fd = conn->get()}};
  if (epoll_ctl(health_epoll_fd, EPOLL_CTL_ADD, conn->get(), &event) < 0) {
    log::Error("health check of {}: epoll_ctl: {}", id, strerror(errno));
    return;
  }
  h.connection = std::move(*conn);
  if (pidfd) h.pidfd = std::move(*pidfd);
}

void Containers::Impl::ReadProbe(int fd) {
  std::string id, exec_id, output;
  std::optional<int> exit_code;
  {
    std::lock_guard lock(health_mu);
    auto it = std::find_if(health_checks.begin(), health_checks.end(),
                           [&](const auto& entry) { return entry.second.connection.get() == fd; });
    if (it == health_checks.end()) return;
    HealthCheck& h = it->second;
    bool ended = false;
    char buffer[kReadChunk];
    while (!ended) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        ended = true;
        break;
      }
      h.frames.Feed(std::string_view(buffer, static_cast<size_t>(n)));
      while (true) {
        Result<std::optional<shim::Frame>> frame = h.frames.Next();
        if (!frame || !*frame) {
          ended = ended || !frame;
          break;
        }
        if ((*frame)->stream != shim::Stream::kExit) {
          h.output.Append((*frame)->payload);
          continue;
        }
        Result<int> code = shim::ParseExitPayload((*frame)->payload);
        if (code) exit_code = *code;
        ended = true;
        break;
      }
    }
    if (!ended) return;
    id = it->first;
    exec_id = h.exec_id;
    output = h.output.Text();
  }
  if (!exit_code) {
    FinishProbe(id, exec_id, -1, "health check ended without an exit status", std::nullopt);
    return;
  }
  FinishProbe(id, exec_id, *exit_code, std::move(output), *exit_code);
}

void Containers::Impl::TimeOutProbe(const std::string& id) {
  std::string exec_id, output;
  {
    std::lock_guard lock(health_mu);
    auto it = health_checks.find(id);
    if (it == health_checks.end() || it->second.exec_id.empty()) return;
    HealthCheck& h = it->second;
    if (h.pidfd) (void)sys::PidfdSendSignal(h.pidfd.get(), SIGKILL);
    exec_id = h.exec_id;
    output = container::TimeoutOutput(h.timing.timeout, h.output.Text());
  }
  FinishProbe(id, exec_id, -1, std::move(output), 128 + SIGKILL);
}

void Containers::Impl::FinishProbe(const std::string& id, const std::string& exec_id, int exit_code,
                                   std::string output, std::optional<int> exec_exit) {
  Result<std::shared_ptr<Container>> found = Find(id);
  if (!found) return;
  Container& c = **found;
  std::lock_guard lock(c.mu);
  container::Record& r = c.record;
  bool changed = false;
  {
    std::lock_guard health_lock(health_mu);
    auto it = health_checks.find(id);
    if (it == health_checks.end() || it->second.exec_id != exec_id) return;
    HealthCheck& h = it->second;
    const std::string start = h.start_time;
    const auto since_start = h.probe_started - h.started;
    DropProbe(health_epoll_fd, h);
    if (!r.state.health || !c.Running()) {
      h.due = Clock::now() + std::chrono::duration_cast<Clock::duration>(h.timing.interval);
      return;
    }
    changed =
        container::ApplyProbeResult(*r.state.health,
                                    {.start = start,
                                     .end = FormatRfc3339Nano(std::chrono::system_clock::now()),
                                     .exit_code = exit_code,
                                     .output = std::move(output)},
                                    h.timing, since_start);
    // The next probe is timed from the end of this one, as docker times it.
    const auto now = Clock::now();
    h.due = now + std::chrono::duration_cast<Clock::duration>(
                      container::NextProbeDelay(h.timing, r.state.health->status, now - h.started));
  }
  if (exec_exit) {
    Emit(r, "exec_die", {{"execID", exec_id}, {"exitCode", std::to_string(*exec_exit)}});
  }
  if (Status saved = container::SaveRecord(DataDir(id), r); !saved) {
    log::Error("container {}: {}", id, saved.error().message());
  }
  if (!changed) return;
  const HealthStatus status = r.state.health->status;
  Emit(r, "health_status: " + std::string(container::HealthStatusName(status)));
  c.cv.notify_all();
  if (status == HealthStatus::kUnhealthy && container::RestartsOnUnhealthy(r.config.image.labels)) {
    Schedule(std::chrono::milliseconds(0), {Task::Kind::kRestartUnhealthy, id});
  }
}

void Containers::Impl::RestartUnhealthy(const std::shared_ptr<Container>& c) {
  {
    std::lock_guard lock(c->mu);
    const container::Record& r = c->record;
    if (c->removed || r.state.status != ContainerStatus::kRunning || !r.state.health ||
        r.state.health->status != HealthStatus::kUnhealthy) {
      return;
    }
    // An auto-removed container is removed once stopped: there is nothing left to start.
    if (r.host_config.auto_remove) {
      log::Warn("container {}: unhealthy, not restarted: it is removed when it stops", r.id);
      return;
    }
  }
  const std::string id = c->record.id;
  if (Result<bool> stopped = StopLocked(c, std::nullopt, std::nullopt); !stopped) {
    log::Error("restart unhealthy {}: {}", id, stopped.error().message());
    return;
  }
  if (Result<bool> started = StartLocked(c, true); !started) {
    log::Error("restart unhealthy {}: {}", id, started.error().message());
    return;
  }
  std::lock_guard lock(c->mu);
  Emit(c->record, "restart");
}

}  // namespace berth::daemon
