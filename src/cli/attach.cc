#include "cli/attach.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/scope_exit.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "client/stdcopy.h"

namespace berth::cli {

namespace {

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write"));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

// The signals proxied to a container (docker's ForwardAllSignals skips SIGCHLD, SIGPIPE, SIGURG
// and SIGWINCH, which is ours for resizing).
const int kProxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};

// DetachMatcher watches stdin for the detach sequence, holding back a partial match.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  // Feed returns the bytes to send; detached is set once the whole sequence arrived.
  std::string Feed(std::string_view data, bool* detached) {
    std::string out;
    for (char c : data) {
      if (keys_.empty()) {
        out += c;
        continue;
      }
      if (c == keys_[matched_]) {
        if (++matched_ == keys_.size()) {
          *detached = true;
          return out;
        }
        continue;
      }
      out.append(keys_, 0, matched_);
      matched_ = 0;
      if (c == keys_[0]) {
        matched_ = 1;
      } else {
        out += c;
      }
    }
    return out;
  }

 private:
  std::string keys_;
  size_t matched_ = 0;
};

void SendSize(const AttachOptions& options) {
  winsize size{};
  if (options.resize && ioctl(options.out_fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) {
    options.resize(size.ws_row, size.ws_col);
  }
}

}  // namespace

Result<std::string> ParseDetachKeys(const std::string& spec) {
  std::string keys;
  for (const std::string& key : Split(spec, ',')) {
    if (key.size() == 1) {
      keys += key;
    } else if (key.starts_with("ctrl-") && key.size() == 6) {
      char c = key[5];
      if (c >= 'a' && c <= 'z') {
        keys += static_cast<char>(c - 'a' + 1);
      } else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
        keys += static_cast<char>(c == '@' ? 0 : c - '[' + 27);
      } else {
        return Fail(ErrorKind::kInvalidArgument, "Unknown character: '" + key + "'");
      }
    } else {
      return Fail(ErrorKind::kInvalidArgument, "Unknown character: '" + key + "'");
    }
  }
  return keys;
}

Result<AttachEnd> Pump(client::Hijacked& stream, const AttachOptions& options) {
  const int sock = stream.fd.get();
  // Raw mode for the local terminal when the container has a tty: keys go to the container as
  // typed, and Ctrl-C is a byte for it rather than a signal for us.
  termios saved{};
  const bool raw = options.tty && options.stdin && isatty(options.in_fd) == 1 &&
                   tcgetattr(options.in_fd, &saved) == 0;
  if (raw) {
    termios t = saved;
    cfmakeraw(&t);
    t.c_oflag = saved.c_oflag;  // keep output processing (newline translation) as it was
    tcsetattr(options.in_fd, TCSANOW, &t);
  }
  ScopeExit restore([&] {
    if (raw) tcsetattr(options.in_fd, TCSANOW, &saved);
  });
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  if (options.tty) sigaddset(&mask, SIGWINCH);
  if (options.signal) {
    for (int s : kProxied) sigaddset(&mask, s);
  }
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  ScopeExit unblock([&] { sigprocmask(SIG_SETMASK, &old_mask, nullptr); });
  UniqueFd signals(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) return Fail(ErrnoNow("signalfd"));
  if (options.tty) SendSize(options);

  BERTH_ASSIGN_OR_RETURN(std::string keys, ParseDetachKeys(options.detach_keys));
  DetachMatcher matcher(keys);
  client::Demuxer demuxer;
  auto sink = [&](client::StdStream s, std::string_view data) -> Status {
    return WriteAll(s == client::StdStream::kStderr ? options.err_fd : options.out_fd, data.data(),
                    data.size());
  };
  auto output = [&](std::string_view data) -> Status {
    if (options.tty) return WriteAll(options.out_fd, data.data(), data.size());
    return demuxer.Feed(data, sink);
  };
  if (!stream.already_read.empty()) BERTH_TRY(output(stream.already_read));
  bool stdin_open = options.stdin;
  char data[32 << 10];
  while (true) {
    pollfd fds[3] = {{sock, POLLIN, 0}, {signals.get(), POLLIN, 0}, {options.in_fd, POLLIN, 0}};
    int n = poll(fds, stdin_open ? 3 : 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("poll"));
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      while (read(signals.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (static_cast<int>(info.ssi_signo) == SIGWINCH) {
          SendSize(options);
        } else if (options.signal) {
          options.signal(static_cast<int>(info.ssi_signo));
        }
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(sock, data, sizeof(data));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return AttachEnd::kOutputEnded;
      BERTH_TRY(output(std::string_view(data, static_cast<size_t>(got))));
    }
    if (stdin_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(options.in_fd, data, sizeof(data));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        // The end of our input is the end of the container's: half-close, keep reading.
        stdin_open = false;
        shutdown(sock, SHUT_WR);
        continue;
      }
      bool detached = false;
      std::string send =
          options.tty ? matcher.Feed(std::string_view(data, static_cast<size_t>(got)), &detached)
                      : std::string(data, static_cast<size_t>(got));
      if (!send.empty() && !WriteAll(sock, send.data(), send.size())) stdin_open = false;
      if (detached) return AttachEnd::kDetached;
    }
  }
}

}  // namespace berth::cli
