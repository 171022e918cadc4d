#include "base/error.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "base/result.h"

namespace berth {
namespace {

TEST(Error, ErrnoNamesCauseAndKind) {
  Error e = Errno(ENOENT, "open /x");
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(e.sys_errno(), ENOENT);
  EXPECT_EQ(e.message(), "open /x: No such file or directory");
}

TEST(Error, WrapPrependsContext) {
  Error e = Errno(EPERM, "mount proc on /proc");
  std::move(e).Wrap("create abc");
  EXPECT_EQ(e.message(), "create abc: mount proc on /proc: Operation not permitted");
  EXPECT_EQ(e.kind(), ErrorKind::kPermissionDenied);
}

Result<int> Half(int x) {
  if (x % 2) return Fail(ErrorKind::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  BERTH_ASSIGN_OR_RETURN(int h, Half(x));
  BERTH_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  BERTH_TRY(Half(x));
  return Ok();
}

TEST(Result, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  ASSERT_FALSE(Quarter(6));
  EXPECT_EQ(Quarter(6).error().message(), "odd");
  EXPECT_TRUE(CheckEven(2));
  EXPECT_FALSE(CheckEven(3));
  EXPECT_EQ(Annotate(Half(3), "halve 3").error().message(), "halve 3: odd");
}

TEST(Error, KindFromErrno) {
  EXPECT_EQ(KindFromErrno(EEXIST), ErrorKind::kAlreadyExists);
  EXPECT_EQ(KindFromErrno(EACCES), ErrorKind::kPermissionDenied);
  EXPECT_EQ(KindFromErrno(ENOSPC), ErrorKind::kResourceExhausted);
  EXPECT_EQ(KindFromErrno(EBUSY), ErrorKind::kConflict);
}

}  // namespace
}  // namespace berth
