// Children and the end: reaping, draining an exited process's output, and what the shim does once
// its container's init has exited (the log flushed, exit.json, the container deleted, the clients
// given their last output).
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/child_process.h"
#include "base/log.h"
#include "base/strings.h"
#include "shim/exit_record.h"
#include "shim/monitor.h"

namespace berth::shim {

void Monitor::OnSignal() {
  signalfd_siginfo info;
  while (read(signals_.get(), &info, sizeof(info)) == sizeof(info)) {
  }
  Reap();
}

void Monitor::Reap() {
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    const int code = ExitStatusFromWaitStatus(status).ShellCode();
    if (pid == init_.pid) {
      exit_code_ = code;
      finished_at_ = FormatRfc3339Nano(std::chrono::system_clock::now());
      drain_deadline_ = Clock::now() + kDrainTimeout;
      log::Info("container {}: init process {} exited with {}", options_.id, pid, code);
      CheckInitDone();
      continue;
    }
    auto it = execs_.find(pid);
    if (it == execs_.end()) continue;  // an orphan of the container, adopted as subreaper
    it->second->exit_code = code;
    it->second->drain_deadline = Clock::now() + kDrainTimeout;
    log::Info("exec {} exited with {}", pid, code);
    CheckExecDone(*it->second);
  }
}

void Monitor::CheckExecDone(Exec& e) {
  const bool drained = !e.stdio.out && !e.stdio.err;
  const bool timed_out = e.drain_deadline && Clock::now() >= *e.drain_deadline;
  if (!e.exit_code || (!drained && !timed_out)) return;
  for (UniqueFd* fd : {&e.stdio.out, &e.stdio.err, &e.stdio.in}) {
    if (*fd) loop_.Remove(fd->get());
    fd->Reset();
  }
  if (Client* c = FindClient(e.client)) {
    AppendFrame(c->out, Stream::kExit, EncodeExitPayload(*e.exit_code));
    c->closing = true;
    c->exec_pid = 0;
    c->streaming = false;
    FlushClient(*c);
  }
  execs_.erase(e.pid);
}

void Monitor::CheckInitDone() {
  if (finished_ || !exit_code_) return;
  const bool drained = !stdio_.out && !stdio_.err;
  if (!drained && Clock::now() < *drain_deadline_) return;
  Finish();
}

void Monitor::Finish() {
  finished_ = true;
  const auto now = std::chrono::system_clock::now();
  for (auto [fd, stream] :
       {std::pair{&stdio_.out, LogStream::kStdout}, std::pair{&stdio_.err, LogStream::kStderr}}) {
    if (*fd) {
      log::Warn("container {}: output still open {}s after exit, closed", options_.id,
                kDrainTimeout.count());
      loop_.Remove(fd->get());
      fd->Reset();
    }
    if (log_) {
      if (Status s = log_->Finish(stream, now); !s)
        log::Error("container log: {}", s.error().message());
    }
  }
  if (stdio_.in) loop_.Remove(stdio_.in.get());
  stdio_.in.Reset();
  ExitRecord record{.exit_code = *exit_code_, .finished_at = finished_at_};
  if (auto oom = runtime_->OomKilled()) {
    record.oom_killed = *oom;
  } else {
    log::Warn("container {}: read OOM kills: {}", options_.id, oom.error().message());
  }
  if (Status s = WriteExitRecord(options_.state_dir, record); !s) {
    log::Error("container {}: {}", options_.id, s.error().message());
  }
  if (Status s = runtime_->Delete(); !s) {
    log::Error("{}", s.error().message());
  }
  loop_.Remove(listener_.get());
  listener_.Reset();
  const std::string socket_path = options_.state_dir + "/shim.sock";
  unlink(socket_path.c_str());
  // Every client gets what is queued for it, then is closed; an exec still running in a container
  // without a pid namespace of its own keeps its client until it ends or the time is up.
  std::vector<uint64_t> ids;
  for (auto& [id, c] : clients_) {
    if (c->exec_pid == 0) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    if (Client* c = FindClient(id)) {
      c->closing = true;
      FlushClient(*c);
    }
  }
  exit_deadline_ = Clock::now() + kDrainTimeout;
  log::Info("container {}: exit code {} recorded, container deleted", options_.id,
            record.exit_code);
}

int Monitor::NextTimeoutMs() const {
  std::optional<Clock::time_point> next;
  auto consider = [&](const std::optional<Clock::time_point>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!finished_ && exit_code_) consider(drain_deadline_);
  for (const auto& [pid, e] : execs_) {
    if (e->exit_code) consider(e->drain_deadline);
  }
  if (finished_) consider(exit_deadline_);
  if (!next) return -1;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms) + 1;
}

void Monitor::OnTimeouts() {
  std::vector<pid_t> done;
  for (const auto& [pid, e] : execs_) {
    if (e->exit_code && Clock::now() >= *e->drain_deadline) done.push_back(pid);
  }
  for (pid_t pid : done) {
    auto it = execs_.find(pid);
    if (it != execs_.end()) CheckExecDone(*it->second);
  }
  CheckInitDone();
}

}  // namespace berth::shim
