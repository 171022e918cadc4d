// Messages between the runtime and a container's init (or exec) process over a SOCK_SEQPACKET
// socketpair. One fixed-size struct per message, so the child side never allocates; an fd can ride
// along (SCM_RIGHTS) for the console. EOF on the socket means the child exec'd (the socket is
// close-on-exec) or died.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::runtime {

enum class SyncType : uint32_t {
  kGo = 1,       // parent -> child: carry on (maps written, cgroup joined, hooks done)
  kStart,        // parent -> child: exec the process now (run, exec)
  kPid,          // intermediate -> parent: pid of the init process it cloned
  kCreateHooks,  // child -> parent: mounts ready, run the prestart/createRuntime hooks (if any)
  kConsole,      // child -> parent: the pty master rides along
  kCreated,      // child -> parent: ready, waiting to be started
  kError,        // child -> parent: a step failed; err and text say which
};

struct SyncMessage {
  SyncType type = SyncType::kGo;
  int32_t err = 0;
  int32_t pid = 0;
  char text[1024] = {};
};

// Both return 0 or -errno and are safe between clone and exec.
int SendSync(int fd, SyncType type, int pass_fd = -1) noexcept;
int SendSyncMessage(int fd, const SyncMessage& message, int pass_fd = -1) noexcept;
// ChildFail reports a failed step ("what: strerror(err)", or just what when err is 0) and exits
// the child with 127 for ENOENT, 126 otherwise (the shell's codes for "not found" and "cannot
// run").
[[noreturn]] void ChildFail(int fd, int err, const char* what) noexcept;

// Parent side. Receiving EOF yields kUnavailable with message "eof".
Result<SyncMessage> RecvSync(int fd, UniqueFd* passed_fd = nullptr);
// ExpectSync receives a message of one type; a kError from the child becomes the returned error.
Status ExpectSync(int fd, SyncType type, std::string_view step);
// ErrorFromSync turns a kError message into an Error.
Error ErrorFromSync(const SyncMessage& message);

}  // namespace berth::runtime
