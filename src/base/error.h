// Error: the one error type of berth. An ErrorKind says what class of failure it is (mapped once to
// an HTTP status in api/ and to an exit code in cli/), errno keeps the system's reason when there
// is one, and the message reads "verb object: cause" with context prepended at each layer.
#pragma once

#include <string>
#include <string_view>

namespace berth {

enum class ErrorKind {
  kUnknown,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kInvalidArgument,
  kPermissionDenied,
  kUnauthenticated,
  kUnavailable,
  kNotImplemented,
  kCancelled,
  kDataLoss,
  kResourceExhausted,
  kDeadlineExceeded,
  kFailedPrecondition,
  kInternal,
};

std::string_view ErrorKindName(ErrorKind kind);

// KindFromErrno maps an errno value to the ErrorKind it belongs to; the only such mapping.
ErrorKind KindFromErrno(int err);

class Error {
 public:
  Error(ErrorKind kind, std::string message, int sys_errno = 0)
      : kind_(kind), errno_(sys_errno), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }

  // Prepends "context: " to the message, keeping kind and errno.
  Error&& Wrap(std::string_view context) &&;
  Error& Wrap(std::string_view context) &;

 private:
  ErrorKind kind_;
  int errno_;
  std::string message_;
};

// Errno builds "what: strerror(err)" with the kind derived from err.
Error Errno(int err, std::string_view what);
// ErrnoNow is Errno(errno, what).
Error ErrnoNow(std::string_view what);

}  // namespace berth
