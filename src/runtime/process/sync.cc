#include "runtime/process/sync.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "sys/unix_socket.h"

namespace berth::runtime {

int SendSyncMessage(int fd, const SyncMessage& message, int pass_fd) noexcept {
  return sys::SendWithFd(fd, &message, sizeof(message), pass_fd);
}

int SendSync(int fd, SyncType type, int pass_fd) noexcept {
  SyncMessage message;
  message.type = type;
  message.pid = static_cast<int32_t>(getpid());
  return SendSyncMessage(fd, message, pass_fd);
}

void ChildFail(int fd, int err, const char* what) noexcept {
  SyncMessage message;
  message.type = SyncType::kError;
  message.err = err;
  if (err) {
    snprintf(message.text, sizeof(message.text), "%s: %s", what, strerror(err));
  } else {
    snprintf(message.text, sizeof(message.text), "%s", what);
  }
  if (SendSyncMessage(fd, message) < 0) {
    // Nobody listens any more (the container was started by another process): say it on stderr.
    (void)!write(2, message.text, strlen(message.text));
    (void)!write(2, "\n", 1);
  }
  _exit(err == ENOENT ? 127 : 126);
}

Result<SyncMessage> RecvSync(int fd, UniqueFd* passed_fd) {
  SyncMessage message;
  const ssize_t n = sys::RecvWithFd(fd, &message, sizeof(message), passed_fd);
  if (n < 0) return Fail(Errno(static_cast<int>(-n), "receive from container process"));
  if (n == 0) return Fail(ErrorKind::kUnavailable, "eof");
  if (static_cast<size_t>(n) != sizeof(message)) {
    return Fail(ErrorKind::kInternal, "receive from container process: short message");
  }
  message.text[sizeof(message.text) - 1] = '\0';
  return message;
}

Error ErrorFromSync(const SyncMessage& message) {
  ErrorKind kind = message.err ? KindFromErrno(message.err) : ErrorKind::kInternal;
  return Error(kind, message.text, message.err);
}

Status ExpectSync(int fd, SyncType type, std::string_view step) {
  auto message = RecvSync(fd);
  if (!message) {
    if (message.error().message() == "eof") {
      return Fail(ErrorKind::kInternal,
                  std::string(step) + ": container process exited unexpectedly");
    }
    return Fail(std::move(message).error());
  }
  if (message->type == SyncType::kError) return Fail(ErrorFromSync(*message));
  if (message->type != type) {
    return Fail(ErrorKind::kInternal, std::string(step) + ": unexpected message from container");
  }
  return Ok();
}

}  // namespace berth::runtime
