// Protection of the runtime binary against CVE-2019-5736: a container process must never be able
// to open the runtime's executable for writing through /proc/PID/exe. Before a command clones or
// enters a container, the runtime re-executes itself from a sealed, anonymous copy (a memfd that
// can no longer be written), unless its binary already sits on a read-only mount.
#pragma once

#include "base/result.h"

namespace berth::runtime {

// EnsureSealedExecutable returns when the running executable is safe; otherwise it re-executes the
// program from a sealed copy with the same argv and environment (and does not return). An error
// means the copy could not be made.
Status EnsureSealedExecutable(char** argv, char** envp);

}  // namespace berth::runtime
