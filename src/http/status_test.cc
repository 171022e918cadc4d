#include "http/status.h"

#include <gtest/gtest.h>

namespace berth::http {
namespace {

TEST(HttpStatusTest, FollowsDockersErrorClasses) {
  EXPECT_EQ(HttpStatus(ErrorKind::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorKind::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorKind::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorKind::kConflict), 409);
  EXPECT_EQ(HttpStatus(ErrorKind::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatus(ErrorKind::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorKind::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorKind::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorKind::kNotImplemented), 501);
}

TEST(HttpStatusTest, SystemErrorsAreInternalServerErrors) {
  for (ErrorKind kind :
       {ErrorKind::kUnknown, ErrorKind::kCancelled, ErrorKind::kDataLoss,
        ErrorKind::kResourceExhausted, ErrorKind::kDeadlineExceeded, ErrorKind::kInternal}) {
    EXPECT_EQ(HttpStatus(kind), 500) << ErrorKindName(kind);
  }
}

}  // namespace
}  // namespace berth::http
