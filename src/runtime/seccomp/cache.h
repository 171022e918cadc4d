// A directory of compiled seccomp programs, so that the containers of one profile compile it once:
// berthd gives the shims one such directory under its exec root (a tmpfs, emptied when berthd
// starts), and docker's default profile, planned for one capability set, is then one file there.
// Each file holds the profile it was compiled from, in full, and is used only for that same
// profile; writes are atomic renames, so concurrent callers (the shims of several containers) at
// worst compile the same program twice. No state in memory; any thread.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::runtime::seccomp {

// BuildCached returns the program of seccomp: read from dir when a file there was compiled from
// the same profile (by the same libseccomp), otherwise compiled with Build and written to dir. A
// file that cannot be read or parsed, or that holds another profile, is replaced. Errors: those
// of Build; failing to write the cache is logged and not an error, the program is compiled.
Result<Program> BuildCached(const oci::Seccomp& seccomp, const std::string& dir);

// CacheFileName is the name in dir under which the program of seccomp is cached.
std::string CacheFileName(const oci::Seccomp& seccomp);

}  // namespace berth::runtime::seccomp
