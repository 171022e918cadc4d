// The monitor's set-up, its loop, and the clients of shim.sock: reading the request line,
// answering, streaming frames, taking stdin.
#include "shim/monitor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace berth::shim {
namespace {

// A request line longer than this (an exec's process object included) is refused.
constexpr size_t kMaxRequestLine = 1 << 20;

}  // namespace

Monitor::Monitor(const ShimOptions& options, std::unique_ptr<ContainerRuntime> runtime,
                 runtime::MonitoredProcess init, Stdio stdio, UniqueFd listener,
                 std::optional<JsonLogWriter> log, EventLoop loop)
    : options_(options),
      runtime_(std::move(runtime)),
      init_(std::move(init)),
      stdio_(std::move(stdio)),
      listener_(std::move(listener)),
      log_(std::move(log)),
      loop_(std::move(loop)) {}

Result<std::unique_ptr<Monitor>> Monitor::Create(const ShimOptions& options,
                                                 std::unique_ptr<ContainerRuntime> runtime,
                                                 runtime::MonitoredProcess init, Stdio stdio,
                                                 UniqueFd listener,
                                                 std::optional<JsonLogWriter> log) {
  BERTH_ASSIGN_OR_RETURN(EventLoop loop, EventLoop::Create());
  std::unique_ptr<Monitor> m(new Monitor(options, std::move(runtime), std::move(init),
                                         std::move(stdio), std::move(listener), std::move(log),
                                         std::move(loop)));
  BERTH_TRY(m->Setup());
  return m;
}

Status Monitor::Setup() {
  // SIGCHLD is blocked (RunShim) and read here: every child is reaped on the loop.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  signals_.Reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signals_) return Fail(ErrnoNow("signalfd"));
  BERTH_TRY(loop_.Add(signals_.get(), EPOLLIN, [this](uint32_t) { OnSignal(); }));
  BERTH_TRY(loop_.Add(listener_.get(), EPOLLIN, [this](uint32_t) { Accept(); }));
  if (stdio_.tty) stdio_.out = std::move(init_.console);
  if (stdio_.tty && options_.open_stdin) {
    stdio_.in.Reset(fcntl(stdio_.out.get(), F_DUPFD_CLOEXEC, 3));
    if (!stdio_.in) return Fail(ErrnoNow("dup pty master"));
  }
  if (stdio_.tty && fcntl(stdio_.out.get(), F_SETFL, O_NONBLOCK) < 0) {
    return Fail(ErrnoNow("fcntl pty master"));
  }
  WatchOutput(stdio_, 0);
  // A child that exited before the loop started has its SIGCHLD pending: reaped on the first turn.
  Reap();
  return Ok();
}

int Monitor::Run() {
  while (!finished_ || (!clients_.empty() && Clock::now() < *exit_deadline_)) {
    if (Status s = loop_.RunOnce(NextTimeoutMs()); !s) {
      log::Error("{}", s.error().message());
      return 1;
    }
    OnTimeouts();
  }
  return 0;
}

void Monitor::Accept() {
  while (true) {
    int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) log::Warn("accept: {}", std::strerror(errno));
      return;
    }
    auto c = std::make_unique<Client>();
    c->id = next_client_++;
    c->fd.Reset(fd);
    const uint64_t id = c->id;
    Status s = loop_.Add(fd, EPOLLIN, [this, id](uint32_t events) { OnClient(id, events); });
    if (!s) {
      log::Warn("{}", s.error().message());
      continue;
    }
    clients_[id] = std::move(c);
  }
}

Monitor::Client* Monitor::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

void Monitor::OnClient(uint64_t id, uint32_t events) {
  Client* c = FindClient(id);
  if (!c) return;
  if (events & (EPOLLHUP | EPOLLERR)) {
    DropClient(id);
    return;
  }
  if (events & EPOLLOUT) {
    FlushClient(*c);
    if (!FindClient(id)) return;
  }
  if (events & EPOLLIN) ReadClient(*c);
}

void Monitor::ReadClient(Client& c) {
  const uint64_t id = c.id;
  char* buf = client_buffer_.get();
  ssize_t n = read(c.fd.get(), buf, kReadBufferSize);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) DropClient(id);
    return;
  }
  if (n == 0) {
    OnClientInputEnd(c);
    return;
  }
  std::string_view bytes(buf, static_cast<size_t>(n));
  if (c.answered) {
    OnClientInput(c, bytes);
    return;
  }
  c.in.append(bytes);
  size_t nl = c.in.find('\n');
  if (nl == std::string::npos) {
    if (c.in.size() > kMaxRequestLine) {
      c.answered = true;
      c.closing = true;
      Send(c, EncodeError("request line longer than 1 MiB"));
    }
    return;
  }
  std::string line = c.in.substr(0, nl);
  std::string rest = c.in.substr(nl + 1);
  c.in.clear();
  c.answered = true;
  auto request = ParseRequest(line);
  if (!request) {
    c.closing = true;
    Send(c, EncodeError(request.error().message()));
    return;
  }
  Handle(c, *request);
  Client* still = FindClient(id);
  if (still && !rest.empty()) OnClientInput(*still, rest);
}

void Monitor::OnClientInput(Client& c, std::string_view bytes) {
  if (!c.streaming || !c.sends_stdin || c.input_ended) return;
  Stdio* stdio = StdioOf(c.exec_pid);
  if (stdio) QueueStdin(*stdio, bytes, c);
}

void Monitor::OnClientInputEnd(Client& c) {
  c.input_ended = true;
  UpdateClientEvents(c);
  if (!c.streaming) {
    // Nothing more to hear from a client that did not get its answer yet: it went away.
    if (!c.answered) DropClient(c.id);
    return;
  }
  if (!c.sends_stdin) return;
  Stdio* stdio = StdioOf(c.exec_pid);
  if (!stdio) return;
  if (c.exec_pid != 0) {
    if (!stdio->tty) CloseStdin(*stdio);
    return;
  }
  if (!options_.stdin_once) return;
  if (stdio->tty) {
    // docker's attach with a tty cannot close the terminal's input: it ends the stream instead.
    c.closing = true;
    UpdateClientEvents(c);
    if (c.out.empty()) DropClient(c.id);
    return;
  }
  CloseStdin(*stdio);
}

void Monitor::Send(Client& c, std::string_view bytes) {
  c.out.append(bytes);
  FlushClient(c);
}

void Monitor::FlushClient(Client& c) {
  const uint64_t id = c.id;
  while (!c.out.empty()) {
    ssize_t n = send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      DropClient(id);
      return;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  if (c.out.empty() && c.closing) {
    DropClient(id);
    return;
  }
  UpdateClientEvents(c);
  // An exec's output held back for this client flows again once it has caught up.
  if (c.exec_pid != 0 && c.out.size() <= kMaxBacklog / 2) {
    auto it = execs_.find(c.exec_pid);
    if (it != execs_.end() && it->second->output_paused) {
      it->second->output_paused = false;
      WatchOutput(it->second->stdio, c.exec_pid);
    }
  }
}

void Monitor::UpdateClientEvents(Client& c) {
  uint32_t events = 0;
  if (!c.out.empty()) events |= EPOLLOUT;
  if (!c.input_ended && !c.input_paused && !c.closing) events |= EPOLLIN;
  if (Status s = loop_.Modify(c.fd.get(), events); !s) log::Warn("{}", s.error().message());
}

void Monitor::DropClient(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  std::unique_ptr<Client> owned = std::move(it->second);
  clients_.erase(it);
  const Client& c = *owned;
  loop_.Remove(c.fd.get());
  if (c.exec_pid != 0) {
    auto e = execs_.find(c.exec_pid);
    if (e != execs_.end()) {
      e->second->client = 0;
      // Nobody sends stdin any more; output still drains (to nowhere) until the process exits.
      if (c.sends_stdin && !e->second->stdio.tty) CloseStdin(e->second->stdio);
      if (e->second->output_paused) {
        e->second->output_paused = false;
        WatchOutput(e->second->stdio, c.exec_pid);
      }
    }
  }
  ResumePausedClients();
}

}  // namespace berth::shim
