// The one mapping from berth's ErrorKind to the HTTP status an Engine API response carries, as
// dockerd maps its error classes (errdefs): a missing object is 404, a bad parameter 400, a
// conflict with the current state 409, and so on. Pure function; thread-safe.
#pragma once

#include "base/error.h"

namespace berth::http {

// HttpStatus returns the status of an error of this kind; kinds docker has no class for (and
// kInternal, kUnknown, kDataLoss, kCancelled, kDeadlineExceeded, kResourceExhausted, as dockerd
// reports system errors) are 500.
int HttpStatus(ErrorKind kind);

}  // namespace berth::http
