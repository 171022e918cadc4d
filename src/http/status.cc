#include "http/status.h"

namespace berth::http {

int HttpStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kAlreadyExists:
    case ErrorKind::kConflict:
    case ErrorKind::kFailedPrecondition:
      return 409;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kPermissionDenied:
      return 403;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kNotImplemented:
      return 501;
    case ErrorKind::kUnknown:
    case ErrorKind::kCancelled:
    case ErrorKind::kDataLoss:
    case ErrorKind::kResourceExhausted:
    case ErrorKind::kDeadlineExceeded:
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace berth::http
