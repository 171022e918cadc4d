// The bytes between the container's processes and the shim: output to the log and the clients,
// stdin from the clients.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "shim/monitor.h"

namespace berth::shim {
namespace {

Result<UniqueFd> OpenDevNull(int flags) {
  UniqueFd fd(open("/dev/null", flags | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open /dev/null"));
  return fd;
}

// MakePipe returns {read end, write end}; the shim's end is non-blocking.
Result<std::pair<UniqueFd, UniqueFd>> MakePipe(bool shim_reads) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return Fail(ErrnoNow("pipe2"));
  UniqueFd r(p[0]), w(p[1]);
  int mine = shim_reads ? r.get() : w.get();
  if (fcntl(mine, F_SETFL, O_NONBLOCK) < 0) return Fail(ErrnoNow("fcntl O_NONBLOCK"));
  return std::pair{std::move(r), std::move(w)};
}

}  // namespace

Result<std::pair<Stdio, ChildStdio>> MakeStdio(bool tty, bool open_stdin) {
  Stdio s;
  ChildStdio c;
  s.tty = tty;
  if (tty) {
    BERTH_ASSIGN_OR_RETURN(c.in, OpenDevNull(O_RDONLY));
    BERTH_ASSIGN_OR_RETURN(c.out, OpenDevNull(O_WRONLY));
    BERTH_ASSIGN_OR_RETURN(c.err, OpenDevNull(O_WRONLY));
    return std::pair{std::move(s), std::move(c)};
  }
  if (open_stdin) {
    BERTH_ASSIGN_OR_RETURN(auto in, MakePipe(false));
    c.in = std::move(in.first);
    s.in = std::move(in.second);
  } else {
    BERTH_ASSIGN_OR_RETURN(c.in, OpenDevNull(O_RDONLY));
  }
  BERTH_ASSIGN_OR_RETURN(auto out, MakePipe(true));
  s.out = std::move(out.first);
  c.out = std::move(out.second);
  BERTH_ASSIGN_OR_RETURN(auto err, MakePipe(true));
  s.err = std::move(err.first);
  c.err = std::move(err.second);
  return std::pair{std::move(s), std::move(c)};
}

Result<runtime::MonitoredProcess> WithChildStdio(
    ChildStdio child, const std::function<Result<runtime::MonitoredProcess>()>& spawn) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd null, OpenDevNull(O_RDWR));
  const int ends[3] = {child.in.get(), child.out.get(), child.err.get()};
  for (int i = 0; i < 3; ++i) {
    if (dup2(ends[i], i) < 0) return Fail(ErrnoNow("dup2 stdio " + std::to_string(i)));
  }
  auto spawned = spawn();
  // The shim keeps none of the child's ends: the pipes end when the process and its children
  // close them.
  for (int i = 0; i < 3; ++i) {
    if (dup2(null.get(), i) < 0) return Fail(ErrnoNow("dup2 /dev/null " + std::to_string(i)));
  }
  return spawned;
}

Stdio* Monitor::StdioOf(pid_t exec_pid) {
  if (exec_pid == 0) return &stdio_;
  auto it = execs_.find(exec_pid);
  return it == execs_.end() ? nullptr : &it->second->stdio;
}

void Monitor::WatchOutput(Stdio& stdio, pid_t exec_pid) {
  for (auto [fd, stream] :
       {std::pair{stdio.out.get(), Stream::kStdout}, std::pair{stdio.err.get(), Stream::kStderr}}) {
    if (fd < 0) continue;
    Status s = loop_.Add(fd, EPOLLIN, [this, exec_pid, fd = fd, stream = stream](uint32_t) {
      OnOutput(exec_pid, fd, stream);
    });
    if (!s) log::Error("watch output: {}", s.error().message());
  }
}

void Monitor::OnOutput(pid_t exec_pid, int fd, Stream stream) {
  char* buf = output_buffer_.get();
  // A bounded amount per wake-up, so that one busy stream does not starve the others.
  for (int round = 0; round < 4; ++round) {
    ssize_t n = read(fd, buf, kReadBufferSize);
    if (n > 0) {
      Deliver(exec_pid, stream, std::string_view(buf, static_cast<size_t>(n)));
      Stdio* stdio = StdioOf(exec_pid);
      if (!stdio || (stdio->out.get() != fd && stdio->err.get() != fd)) return;
      if (exec_pid != 0 && execs_[exec_pid]->output_paused) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF, or EIO from a pty master once no process holds the slave: the stream has ended.
    if (n < 0 && errno != EIO) log::Warn("read output: {}", std::strerror(errno));
    OutputEnded(exec_pid, fd, stream);
    return;
  }
}

void Monitor::Deliver(pid_t exec_pid, Stream stream, std::string_view bytes) {
  if (exec_pid == 0) {
    if (log_) {
      LogStream ls = stream == Stream::kStderr ? LogStream::kStderr : LogStream::kStdout;
      if (Status s = log_->Write(ls, bytes, std::chrono::system_clock::now()); !s) {
        log::Error("container log: {}", s.error().message());
      }
    }
    // Flushing may drop a client: collect first, then deliver.
    std::vector<uint64_t> ids;
    for (auto& [id, c] : clients_) {
      if (!c->streaming || c->exec_pid != 0 || c->closing) continue;
      if (stream == Stream::kStderr ? c->attach.use_stderr : c->attach.use_stdout)
        ids.push_back(id);
    }
    for (uint64_t id : ids) {
      Client* c = FindClient(id);
      if (!c) continue;
      AppendFrame(c->out, stream, bytes);
      if (c->out.size() > kMaxBacklog) {
        log::Warn("attach client {} does not keep up with the output: dropped", id);
        DropClient(id);
      } else {
        FlushClient(*c);
      }
    }
    return;
  }
  Exec& e = *execs_[exec_pid];
  Client* c = FindClient(e.client);
  if (!c) return;
  AppendFrame(c->out, stream, bytes);
  FlushClient(*c);
  if (c->out.size() > kMaxBacklog && !e.output_paused) {
    // Held back until the client reads: the exec'd process waits on its full pipe.
    e.output_paused = true;
    for (int fd : {e.stdio.out.get(), e.stdio.err.get()}) {
      if (fd >= 0) loop_.Remove(fd);
    }
  }
}

void Monitor::OutputEnded(pid_t exec_pid, int fd, Stream stream) {
  Stdio* stdio = StdioOf(exec_pid);
  if (!stdio) return;
  loop_.Remove(fd);
  if (stdio->out.get() == fd) {
    // With a tty the master is also the stdin: that ends too.
    if (stdio->tty) CloseStdin(*stdio);
    stdio->out.Reset();
  } else if (stdio->err.get() == fd) {
    stdio->err.Reset();
  }
  if (exec_pid == 0) {
    if (log_) {
      LogStream ls = stream == Stream::kStderr ? LogStream::kStderr : LogStream::kStdout;
      if (Status s = log_->Finish(ls, std::chrono::system_clock::now()); !s) {
        log::Error("container log: {}", s.error().message());
      }
    }
    CheckInitDone();
  } else {
    CheckExecDone(*execs_[exec_pid]);
  }
}

void Monitor::QueueStdin(Stdio& stdio, std::string_view bytes, Client& from) {
  if (!stdio.in || stdio.close_in) return;
  stdio.in_queue.append(bytes);
  FlushStdin(stdio);
  if (!stdio.in_queue.empty() && !from.input_paused) {
    from.input_paused = true;
    UpdateClientEvents(from);
  }
}

void Monitor::FlushStdin(Stdio& stdio) {
  while (stdio.in && !stdio.in_queue.empty()) {
    ssize_t n = write(stdio.in.get(), stdio.in_queue.data(), stdio.in_queue.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      // EPIPE: nobody reads the stdin any more; what is queued is lost.
      stdio.in_queue.clear();
      stdio.close_in = true;
      break;
    }
    stdio.in_queue.erase(0, static_cast<size_t>(n));
  }
  if (!stdio.in) return;
  const int fd = stdio.in.get();
  if (stdio.in_queue.empty()) {
    loop_.Remove(fd);
    if (stdio.close_in) {
      stdio.in.Reset();
    }
    ResumePausedClients();
    return;
  }
  if (!loop_.Contains(fd)) {
    Stdio* target = &stdio;
    Status s = loop_.Add(fd, EPOLLOUT, [this, target](uint32_t) { FlushStdin(*target); });
    if (!s) log::Error("watch stdin: {}", s.error().message());
  }
}

void Monitor::CloseStdin(Stdio& stdio) {
  stdio.close_in = true;
  FlushStdin(stdio);
}

void Monitor::ResumePausedClients() {
  for (auto& [id, c] : clients_) {
    if (!c->input_paused) continue;
    Stdio* stdio = StdioOf(c->exec_pid);
    if (stdio && !stdio->in_queue.empty()) continue;
    c->input_paused = false;
    UpdateClientEvents(*c);
  }
}

}  // namespace berth::shim
