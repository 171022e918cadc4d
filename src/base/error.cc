#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace berth {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnknown:
      return "unknown";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kAlreadyExists:
      return "already exists";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kPermissionDenied:
      return "permission denied";
    case ErrorKind::kUnauthenticated:
      return "unauthenticated";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kNotImplemented:
      return "not implemented";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kDataLoss:
      return "data loss";
    case ErrorKind::kResourceExhausted:
      return "resource exhausted";
    case ErrorKind::kDeadlineExceeded:
      return "deadline exceeded";
    case ErrorKind::kFailedPrecondition:
      return "failed precondition";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

ErrorKind KindFromErrno(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
    case ENXIO:
    case ENODEV:
      return ErrorKind::kNotFound;
    case EEXIST:
    case ENOTEMPTY:
      return ErrorKind::kAlreadyExists;
    case EBUSY:
    case ETXTBSY:
      return ErrorKind::kConflict;
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EXDEV:
    case E2BIG:
    case EBADF:
      return ErrorKind::kInvalidArgument;
    case EPERM:
    case EACCES:
    case EROFS:
      return ErrorKind::kPermissionDenied;
    case ENOSPC:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case EDQUOT:
    case EAGAIN:
      return ErrorKind::kResourceExhausted;
    case ETIMEDOUT:
      return ErrorKind::kDeadlineExceeded;
    case ECANCELED:
    case EINTR:
      return ErrorKind::kCancelled;
    case ENOSYS:
    case EOPNOTSUPP:
      return ErrorKind::kNotImplemented;
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return ErrorKind::kUnavailable;
    case EIO:
      return ErrorKind::kDataLoss;
    default:
      return ErrorKind::kInternal;
  }
}

Error&& Error::Wrap(std::string_view context) && {
  static_cast<Error&>(*this).Wrap(context);
  return std::move(*this);
}

Error& Error::Wrap(std::string_view context) & {
  message_.insert(0, std::string(context) + ": ");
  return *this;
}

Error Errno(int err, std::string_view what) {
  return Error(KindFromErrno(err), std::string(what) + ": " + std::strerror(err), err);
}

Error ErrnoNow(std::string_view what) { return Errno(errno, what); }

}  // namespace berth
