#include "sys/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace berth::sys {

int SendWithFd(int sock, const void* data, size_t len, int fd) noexcept {
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : 0;
}

ssize_t RecvWithFd(int sock, void* data, size_t len, UniqueFd* fd) noexcept {
  iovec iov{data, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int received = -1;
    std::memcpy(&received, CMSG_DATA(c), sizeof(int));
    if (fd != nullptr) {
      fd->Reset(received);
    } else {
      close(received);
    }
  }
  return n;
}

namespace {

// Address fills addr for path; a long path goes through the directory's descriptor, which *dir
// keeps open while the address is used.
Result<socklen_t> Address(const std::string& path, sockaddr_un* addr, UniqueFd* dir) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  std::string target = path;
  if (target.size() >= sizeof(addr->sun_path)) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument, "socket name too long: " + path);
    }
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    dir->Reset(open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!*dir) return Fail(ErrnoNow("open " + parent));
    target = "/proc/self/fd/" + std::to_string(dir->get()) + path.substr(slash);
    if (target.size() >= sizeof(addr->sun_path)) {
      return Fail(ErrorKind::kInvalidArgument, "socket name too long: " + path);
    }
  }
  std::memcpy(addr->sun_path, target.c_str(), target.size() + 1);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + target.size() + 1);
}

}  // namespace

Result<UniqueFd> ListenUnix(const std::string& path, mode_t mode, bool nonblocking) {
  sockaddr_un addr;
  UniqueFd dir;
  BERTH_ASSIGN_OR_RETURN(socklen_t len, Address(path, &addr, &dir));
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd) return Fail(ErrnoNow("socket"));
  if (unlink(addr.sun_path) < 0 && errno != ENOENT) return Fail(ErrnoNow("remove " + path));
  const mode_t old = umask(0177);
  const int r = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len);
  umask(old);
  if (r < 0) return Fail(ErrnoNow("bind " + path));
  if (chmod(addr.sun_path, mode) < 0) return Fail(ErrnoNow("chmod " + path));
  if (listen(fd.get(), 128) < 0) return Fail(ErrnoNow("listen " + path));
  return fd;
}

Result<UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un addr;
  UniqueFd dir;
  BERTH_ASSIGN_OR_RETURN(socklen_t len, Address(path, &addr, &dir));
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Fail(ErrnoNow("socket"));
  while (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    if (errno == EINTR) continue;
    return Fail(ErrnoNow("connect " + path));
  }
  return fd;
}

}  // namespace berth::sys
