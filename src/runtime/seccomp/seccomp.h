// The seccomp filter of a container: Build compiles linux.seccomp (oci::Seccomp) into a classic BPF
// program with libseccomp in the runtime, before the container process is cloned; Load installs
// that program in the container's init between clone and execve. Program is plain data owned by the
// caller; nothing here keeps state, so the functions may run on any thread.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime::seccomp {

// A compiled filter, ready to load.
struct Program {
  std::vector<sock_filter> filter;  // classic BPF, as libseccomp generates it
  unsigned int flags = 0;           // SECCOMP_FILTER_FLAG_* passed to seccomp(2)
};

// Build compiles linux.seccomp. Errors name the offending field, e.g.
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`:
//   kInvalidArgument  a malformed or unknown value (action, operator, architecture, flag, ...);
//   kNotImplemented   seccomp user notification (SCMP_ACT_NOTIFY, listenerPath), or an
//                     architecture this libseccomp does not know;
//   errno kinds       libseccomp refused the filter or the export failed.
// Syscall names unknown to this libseccomp are skipped, because profiles list the syscalls of
// kernels newer than the library (runc and crun do the same). A syscall the profile does not name
// gets the default action, also one newer than the profile: libseccomp 2.5 cannot make the filter
// answer ENOSYS for those instead.
Result<Program> Build(const oci::Seccomp& seccomp);

// Load installs program in the calling thread with seccomp(SECCOMP_SET_MODE_FILTER), applying to
// all threads with SECCOMP_FILTER_FLAG_TSYNC. The caller has set no_new_privs or holds
// CAP_SYS_ADMIN. Safe between clone and execve: no allocation, no exceptions, no logging.
// Returns 0 or -errno (-ESRCH when TSYNC could not synchronize another thread).
int Load(const Program& program) noexcept;

// The names this build accepts, for the runtime's `features` command.
std::vector<std::string> SupportedActions();
std::vector<std::string> SupportedOperators();
std::vector<std::string> SupportedArchitectures();
std::vector<std::string> SupportedFlags();

}  // namespace berth::runtime::seccomp
