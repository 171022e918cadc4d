#include "registry/client/resume.h"

#include <gtest/gtest.h>

namespace berth::registry::client {
namespace {

TEST(Resume, FirstRequestAppends) {
  EXPECT_EQ(DecideResume(200, std::nullopt, 0, 100).value(), ResumeAction::kAppend);
}

TEST(Resume, ServerIgnoringRangeRestarts) {
  EXPECT_EQ(DecideResume(200, std::nullopt, 40, 100).value(), ResumeAction::kRestart);
}

TEST(Resume, PartialContentAtOffsetAppends) {
  EXPECT_EQ(DecideResume(206, "bytes 40-99/100", 40, 100).value(), ResumeAction::kAppend);
  EXPECT_EQ(DecideResume(206, "bytes 40-99/*", 40, 100).value(), ResumeAction::kAppend);
  EXPECT_EQ(RangeHeaderValue(40), "bytes=40-");
}

TEST(Resume, PartialContentElsewhereOrOfAnotherSizeFails) {
  Result<ResumeAction> wrong_start = DecideResume(206, "bytes 0-99/100", 40, 100);
  ASSERT_FALSE(wrong_start);
  EXPECT_EQ(wrong_start.error().kind(), ErrorKind::kDataLoss);
  EXPECT_FALSE(DecideResume(206, "bytes 40-99/120", 40, 100));
  EXPECT_FALSE(DecideResume(206, std::nullopt, 40, 100));
  EXPECT_FALSE(DecideResume(206, "items 40-99/100", 40, 100));
}

TEST(Resume, OtherStatusesFail) {
  Result<ResumeAction> refused = DecideResume(416, std::nullopt, 40, 100);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("416"), std::string::npos);
}

}  // namespace
}  // namespace berth::registry::client
