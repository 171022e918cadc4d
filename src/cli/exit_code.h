// The one mapping from errors to berth's exit codes, docker's conventions: 1 for a failed
// command, 125 when `run` or `create` fails before the container runs (the daemon's error or
// the CLI's), 126 when the container's command cannot be invoked, 127 when it cannot be found
// (the daemon reports both in its error's text, as dockerd words them).
#pragma once

#include "base/error.h"

namespace berth::cli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitRunFailure = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

// ExitCode is the code of a failed command other than run.
int ExitCode(const Error& error);
// RunExitCode is the code of a failed run, create or start-with-attach.
int RunExitCode(const Error& error);

}  // namespace berth::cli
