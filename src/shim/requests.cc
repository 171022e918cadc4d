// The ops of shim.sock: each request is answered with one line, then attach and exec stream.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "oci/runtime_spec_json.h"
#include "shim/monitor.h"

namespace berth::shim {
namespace {

using nlohmann::json;

std::string Now() { return FormatRfc3339Nano(std::chrono::system_clock::now()); }

Status SetWindowSize(int fd, uint16_t height, uint16_t width) {
  winsize ws{};
  ws.ws_row = height;
  ws.ws_col = width;
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) return Fail(ErrnoNow("set the terminal size"));
  return Ok();
}

}  // namespace

void Monitor::Handle(Client& c, const Request& request) {
  auto answer = [&](Result<json> r) {
    Send(c, r ? EncodeOk(std::move(*r)) : EncodeError(r.error().message()));
  };
  auto close_after = [&] {
    c.closing = true;
    if (FindClient(c.id)) FlushClient(c);
  };
  if (const auto* attach = std::get_if<AttachRequest>(&request)) {
    if (finished_) {
      answer(Fail(ErrorKind::kFailedPrecondition, "attach: the container has exited"));
      close_after();
      return;
    }
    c.streaming = true;
    c.attach = *attach;
    c.sends_stdin = attach->use_stdin && options_.open_stdin;
    answer(json::object());
    if (FindClient(c.id)) UpdateClientEvents(c);
    return;
  }
  if (const auto* exec = std::get_if<ExecRequest>(&request)) {
    auto pid = StartExec(*exec);
    if (!pid) {
      answer(Fail(std::move(pid).error()));
      close_after();
      return;
    }
    c.streaming = true;
    c.exec_pid = *pid;
    c.sends_stdin = exec->use_stdin;
    execs_[*pid]->client = c.id;
    answer(json{{"pid", *pid}});
    if (FindClient(c.id)) UpdateClientEvents(c);
    return;
  }
  Result<json> result = std::visit(
      [&](const auto& r) -> Result<json> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, StartRequest>) {
          return Start();
        } else if constexpr (std::is_same_v<T, ResizeRequest>) {
          return Resize(r);
        } else if constexpr (std::is_same_v<T, KillRequest>) {
          BERTH_TRY(runtime_->Kill(r.signal, r.all));
          return json::object();
        } else if constexpr (std::is_same_v<T, PauseRequest>) {
          BERTH_TRY(runtime_->Pause());
          return json::object();
        } else if constexpr (std::is_same_v<T, ResumeRequest>) {
          BERTH_TRY(runtime_->Resume());
          return json::object();
        } else if constexpr (std::is_same_v<T, PidsRequest>) {
          BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, runtime_->Pids());
          return json{{"pids", pids}};
        } else {
          return Fail(ErrorKind::kInternal, "request handled above");
        }
      },
      request);
  if (!result) log::Info("request failed: {}", result.error().message());
  answer(std::move(result));
  close_after();
}

Result<json> Monitor::Start() {
  if (started_) return Fail(ErrorKind::kFailedPrecondition, "start: already started");
  if (exit_code_) return Fail(ErrorKind::kFailedPrecondition, "start: the container has exited");
  started_ = true;
  BERTH_TRY(runtime_->Start(init_));
  std::string at = Now();
  log::Info("container {} started", options_.id);
  return json{{"started_at", at}};
}

Result<json> Monitor::Resize(const ResizeRequest& r) {
  if (r.exec_pid) {
    auto it = execs_.find(*r.exec_pid);
    if (it == execs_.end()) {
      return Fail(ErrorKind::kNotFound, fmt::format("resize: no exec with pid {}", *r.exec_pid));
    }
    if (!it->second->stdio.tty || !it->second->stdio.out) {
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("resize: exec {} has no terminal", *r.exec_pid));
    }
    BERTH_TRY(SetWindowSize(it->second->stdio.out.get(), r.height, r.width));
    return json::object();
  }
  if (!stdio_.tty) {
    return Fail(ErrorKind::kFailedPrecondition, "resize: the container has no terminal");
  }
  if (!stdio_.out) return Fail(ErrorKind::kFailedPrecondition, "resize: the terminal is closed");
  BERTH_TRY(SetWindowSize(stdio_.out.get(), r.height, r.width));
  return json::object();
}

Result<pid_t> Monitor::StartExec(const ExecRequest& r) {
  if (finished_ || exit_code_) {
    return Fail(ErrorKind::kFailedPrecondition, "exec: the container has exited");
  }
  BERTH_ASSIGN_OR_RETURN(oci::Process process,
                         Annotate(oci::DecodeProcess(r.process.dump()), "exec: process"));
  BERTH_ASSIGN_OR_RETURN(auto io, Annotate(MakeStdio(process.terminal, r.use_stdin), "exec"));
  auto [stdio, child] = std::move(io);
  BERTH_ASSIGN_OR_RETURN(runtime::MonitoredProcess p,
                         WithChildStdio(std::move(child), [&] { return runtime_->Exec(process); }));
  auto e = std::make_unique<Exec>();
  e->pid = p.pid;
  e->pidfd = std::move(p.pidfd);
  e->stdio = std::move(stdio);
  if (e->stdio.tty) {
    e->stdio.out = std::move(p.console);
    if (r.use_stdin) {
      e->stdio.in.Reset(fcntl(e->stdio.out.get(), F_DUPFD_CLOEXEC, 3));
      if (!e->stdio.in) log::Warn("exec {}: dup pty master: {}", p.pid, std::strerror(errno));
    }
    if (fcntl(e->stdio.out.get(), F_SETFL, O_NONBLOCK) < 0) {
      log::Warn("exec {}: pty master non-blocking: {}", p.pid, std::strerror(errno));
    }
  }
  const pid_t pid = p.pid;
  log::Info("exec {} started in container {}", pid, options_.id);
  Exec& ref = *e;
  execs_[pid] = std::move(e);
  WatchOutput(ref.stdio, pid);
  return pid;
}

}  // namespace berth::shim
