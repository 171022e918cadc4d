// Terminals for container processes: the pty is opened inside the container (from its own devpts)
// by the container process, which makes the slave its controlling terminal and hands the master to
// the runtime. The runtime passes the master on to --console-socket (runc's protocol: one message
// with the fd as SCM_RIGHTS), or proxies it to its own stdio when run in the foreground.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// OpenPty opens /dev/ptmx and its slave; writes the slave's path. Returns 0 or -errno; no
// allocation (runs between clone and exec).
int OpenPty(int* master, int* slave, char* slave_path, size_t path_len) noexcept;
// MakeControllingTerminal starts a session, takes slave as controlling terminal and stdio, and
// applies the console size if given. Returns 0 or -errno.
int MakeControllingTerminal(int slave, const oci::ConsoleSize* size) noexcept;

// SendConsole connects to the unix socket at socket_path and sends master over it.
Status SendConsole(const std::string& socket_path, int master);

// ProxyTerminal copies this process's stdin to master and master to stdout until the process behind
// pidfd exits, with stdin in raw mode while it is a terminal and window size changes forwarded.
Status ProxyTerminal(int master, int pidfd);

}  // namespace berth::runtime
