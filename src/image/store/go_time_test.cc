#include "image/store/go_time.h"

#include <gtest/gtest.h>

#include <ctime>

namespace berth::image::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

nanoseconds Duration(std::string_view text) {
  Result<nanoseconds> d = ParseGoDuration(text);
  EXPECT_TRUE(d) << text << ": " << d.error().message();
  return d ? *d : nanoseconds(-1);
}

std::string DurationError(std::string_view text) {
  Result<nanoseconds> d = ParseGoDuration(text);
  EXPECT_FALSE(d) << text;
  return d ? "" : d.error().message();
}

TEST(GoTimeTest, Durations) {
  EXPECT_EQ(Duration("1h30m"), seconds(5400));
  EXPECT_EQ(Duration("300ms"), milliseconds(300));
  EXPECT_EQ(Duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(Duration(".5m"), seconds(30));
  EXPECT_EQ(Duration("-2m"), seconds(-120));
  EXPECT_EQ(Duration("+2us"), nanoseconds(2000));
  EXPECT_EQ(Duration("3\u00b5s"), nanoseconds(3000));
  EXPECT_EQ(Duration("7ns"), nanoseconds(7));
  EXPECT_EQ(Duration("0"), nanoseconds(0));
  EXPECT_EQ(Duration("1h0m0.000000001s"), seconds(3600) + nanoseconds(1));
}

TEST(GoTimeTest, DurationErrors) {
  EXPECT_EQ(DurationError("1"), "time: missing unit in duration \"1\"");
  EXPECT_EQ(DurationError("1d"), "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(DurationError(""), "time: invalid duration \"\"");
  EXPECT_EQ(DurationError("x"), "time: invalid duration \"x\"");
  EXPECT_EQ(DurationError(".s"), "time: invalid duration \".s\"");
  EXPECT_EQ(DurationError("9999999999h"), "time: invalid duration \"9999999999h\"");
}

TimePoint At(int64_t unix_seconds) { return TimePoint(seconds(unix_seconds)); }

TEST(GoTimeTest, FilterTimes) {
  const TimePoint now = At(1'700'000'000);
  auto parse = [&](std::string_view text) {
    Result<TimePoint> t = ParseFilterTime(text, now);
    EXPECT_TRUE(t) << text << ": " << t.error().message();
    return t ? *t : TimePoint();
  };
  EXPECT_EQ(parse("10m"), now - seconds(600));
  EXPECT_EQ(parse("2024-01-02T03:04:05Z"), At(1704164645));
  EXPECT_EQ(parse("2024-01-02T03:04:05.25Z"), At(1704164645) + milliseconds(250));
  EXPECT_EQ(parse("2024-01-02T03:04:05+01:00"), At(1704164645 - 3600));
  EXPECT_EQ(parse("2024-01-02T03:04:05-01:30"), At(1704164645 + 5400));
  EXPECT_EQ(parse("1700000123"), At(1700000123));
  EXPECT_EQ(parse("1700000123.5"), At(1700000123) + milliseconds(500));
  EXPECT_EQ(parse("0"), At(0));
  std::tm local{};
  local.tm_year = 124;
  local.tm_mon = 0;
  local.tm_mday = 2;
  local.tm_hour = 3;
  local.tm_isdst = -1;
  EXPECT_EQ(parse("2024-01-02T03"), At(mktime(&local)));
  local.tm_hour = 0;
  local.tm_isdst = -1;
  EXPECT_EQ(parse("2024-01-02"), At(mktime(&local)));
  for (std::string_view bad : {"yesterday", "2024-13-01", "2024-01-02T25", "12.x", "-5"}) {
    Result<TimePoint> t = ParseFilterTime(bad, now);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().message(),
              "failed to parse value as time or duration: \"" + std::string(bad) + "\"");
  }
}

TEST(GoTimeTest, Rfc3339Alone) {
  EXPECT_EQ(ParseRfc3339("2024-01-02T03:04:05Z"), At(1704164645));
  EXPECT_EQ(ParseRfc3339("2024-01-02T04:04:05.000000001+01:00"),
            At(1704164645) + std::chrono::duration_cast<TimePoint::duration>(nanoseconds(1)));
  EXPECT_EQ(ParseRfc3339("10m"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("1700000000"), std::nullopt);
  EXPECT_EQ(ParseRfc3339(""), std::nullopt);
}

}  // namespace
}  // namespace berth::image::store
