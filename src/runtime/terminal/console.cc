#include "runtime/terminal/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/scope_exit.h"
#include "base/unique_fd.h"
#include "sys/unix_socket.h"

namespace berth::runtime {

int OpenPty(int* master, int* slave, char* slave_path, size_t path_len) noexcept {
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return -errno;
  int unlock = 0;
  unsigned int n = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0) {
    int err = errno;
    close(m);
    return -err;
  }
  // TIOCGPTPEER opens the slave through the master, so no path lookup can be redirected.
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    int err = errno;
    close(m);
    return -err;
  }
  snprintf(slave_path, path_len, "/dev/pts/%u", n);
  *master = m;
  *slave = s;
  return 0;
}

int MakeControllingTerminal(int slave, const oci::ConsoleSize* size) noexcept {
  if (setsid() < 0) return -errno;
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return -errno;
  if (size != nullptr && (size->height || size->width)) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0) return -errno;
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (dup3(slave, fd, 0) < 0 && slave != fd) return -errno;
  }
  return 0;
}

Status SendConsole(const std::string& socket_path, int master) {
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Fail(ErrnoNow("socket"));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return Fail(ErrorKind::kInvalidArgument, "console socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    return Fail(ErrnoNow("connect to console socket " + socket_path));
  }
  // runc's protocol: the payload names the terminal, the descriptor rides along.
  static const char kName[] = "/dev/ptmx";
  if (int r = sys::SendWithFd(sock.get(), kName, sizeof(kName), master); r < 0) {
    return Fail(Errno(-r, "send console to " + socket_path));
  }
  return Ok();
}

namespace {

void CopyWinsize(int from, int to) {
  winsize ws{};
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// Returns false when the source is done (EOF or error).
bool Pump(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) return n < 0 && errno == EINTR;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

Status ProxyTerminal(int master, int pidfd) {
  bool stdin_tty = isatty(0);
  termios saved{};
  if (stdin_tty && tcgetattr(0, &saved) == 0) {
    termios raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
    CopyWinsize(0, master);
  }
  ScopeExit restore([&] {
    if (stdin_tty) tcsetattr(0, TCSANOW, &saved);
  });
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  sigprocmask(SIG_BLOCK, &winch, nullptr);
  UniqueFd sfd(signalfd(-1, &winch, SFD_CLOEXEC));

  bool in_open = true;
  bool exited = false;
  while (true) {
    pollfd fds[4] = {{in_open ? 0 : -1, POLLIN, 0},
                     {master, POLLIN, 0},
                     {exited ? -1 : pidfd, POLLIN, 0},
                     {sfd.get(), POLLIN, 0}};
    // Once the process has exited, drain what the pty still holds and stop.
    int n = poll(fds, 4, exited ? 0 : -1);
    if (n < 0 && errno != EINTR) return Fail(ErrnoNow("poll terminal"));
    if (n == 0 && exited) return Ok();
    if (fds[0].revents && !Pump(0, master)) in_open = false;
    if (fds[1].revents && !Pump(master, 1)) return Ok();
    if (fds[2].revents) exited = true;
    if (fds[3].revents) {
      signalfd_siginfo info;
      (void)!read(sfd.get(), &info, sizeof(info));
      if (stdin_tty) CopyWinsize(0, master);
    }
  }
}

}  // namespace berth::runtime
