// Unix socket helpers: sending and receiving a message with a file descriptor attached
// (SCM_RIGHTS; safe between clone and exec, no allocation), and stream sockets bound or connected
// at paths of any length.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

#include <cstddef>

namespace berth::sys {

// SendWithFd sends len bytes of data and, when fd >= 0, the descriptor fd as SCM_RIGHTS, in one
// sendmsg (retried on EINTR, never raising SIGPIPE). Returns 0 or -errno.
int SendWithFd(int sock, const void* data, size_t len, int fd) noexcept;
// RecvWithFd receives one message of at most len bytes (retried on EINTR); a descriptor it
// carries goes to *fd (close-on-exec), or is closed when fd is null. Returns the bytes received
// (0 at EOF) or -errno.
ssize_t RecvWithFd(int sock, void* data, size_t len, UniqueFd* fd) noexcept;

// ListenUnix binds a SOCK_STREAM socket (close-on-exec; nonblocking when asked) at path with
// mode, replacing a socket file left there, and listens. ConnectUnix connects to one. A path
// longer than sockaddr_un holds (107 bytes) is reached through /proc/self/fd/N of its directory,
// so deep state directories work.
Result<UniqueFd> ListenUnix(const std::string& path, mode_t mode, bool nonblocking);
Result<UniqueFd> ConnectUnix(const std::string& path);

}  // namespace berth::sys
