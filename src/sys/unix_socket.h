// Unix socket helpers: sending a message with a file descriptor attached (SCM_RIGHTS). Safe
// between clone and exec (no allocation).
#pragma once

#include <cstddef>

namespace berth::sys {

// SendWithFd sends len bytes of data and, when fd >= 0, the descriptor fd as SCM_RIGHTS, in one
// sendmsg (retried on EINTR, never raising SIGPIPE). Returns 0 or -errno.
int SendWithFd(int sock, const void* data, size_t len, int fd) noexcept;

}  // namespace berth::sys
