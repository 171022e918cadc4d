#include "image/store/go_time.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <limits>
#include <optional>
#include <string>

namespace berth::image::store {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::optional<uint64_t> UnitNanoseconds(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1000;
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return 1000 * 1000 * 1000;
  if (unit == "m") return 60ULL * 1000 * 1000 * 1000;
  if (unit == "h") return 3600ULL * 1000 * 1000 * 1000;
  return std::nullopt;
}

// ReadDigits consumes a run of digits and returns how many.
size_t ReadDigits(std::string_view& s, size_t max = std::string_view::npos) {
  size_t n = 0;
  while (n < s.size() && n < max && IsDigit(s[n])) ++n;
  s.remove_prefix(n);
  return n;
}

// Number consumes exactly `digits` digits and returns their value.
std::optional<int> Number(std::string_view& s, size_t digits) {
  std::string_view start = s;
  if (ReadDigits(s, digits) != digits) return std::nullopt;
  int value = 0;
  for (char c : start.substr(0, digits)) value = value * 10 + (c - '0');
  return value;
}

bool Consume(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

using TimePoint = std::chrono::system_clock::time_point;

// ParseDateTime reads "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM]"; no zone means local time.
std::optional<TimePoint> ParseDateTime(std::string_view s) {
  std::tm tm{};
  auto year = Number(s, 4);
  if (!year || !Consume(s, '-')) return std::nullopt;
  auto month = Number(s, 2);
  if (!month || !Consume(s, '-')) return std::nullopt;
  auto day = Number(s, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  int64_t nanos = 0;
  if (Consume(s, 'T')) {
    auto hour = Number(s, 2);
    if (!hour || *hour > 23) return std::nullopt;
    tm.tm_hour = *hour;
    if (Consume(s, ':')) {
      auto minute = Number(s, 2);
      if (!minute || *minute > 59) return std::nullopt;
      tm.tm_min = *minute;
      if (Consume(s, ':')) {
        auto second = Number(s, 2);
        if (!second || *second > 60) return std::nullopt;
        tm.tm_sec = *second;
        if (Consume(s, '.')) {
          std::string_view frac = s;
          size_t n = ReadDigits(s);
          if (n == 0) return std::nullopt;
          for (size_t i = 0; i < 9; ++i) nanos = nanos * 10 + (i < n ? frac[i] - '0' : 0);
        }
      }
    }
  }
  time_t secs;
  if (s.empty()) {
    tm.tm_isdst = -1;
    secs = mktime(&tm);
  } else if (s == "Z" || s == "z") {
    secs = timegm(&tm);
  } else {
    bool west = s.front() == '-';
    if (!Consume(s, '+') && !Consume(s, '-')) return std::nullopt;
    auto hours = Number(s, 2);
    if (!hours || !Consume(s, ':')) return std::nullopt;
    auto minutes = Number(s, 2);
    if (!minutes || !s.empty()) return std::nullopt;
    int offset = (*hours * 60 + *minutes) * 60;
    secs = timegm(&tm) + (west ? offset : -offset);
  }
  return TimePoint(std::chrono::seconds(secs)) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos));
}

// ParseUnixSeconds reads "seconds[.fraction]".
std::optional<TimePoint> ParseUnixSeconds(std::string_view s) {
  std::string_view whole = s.substr(0, s.find('.'));
  std::string_view rest = s.substr(whole.size());
  std::string_view digits = whole;
  if (whole.empty() || ReadDigits(digits) != whole.size() || whole.size() > 18) return std::nullopt;
  int64_t secs = std::stoll(std::string(whole));
  int64_t nanos = 0;
  if (Consume(rest, '.')) {
    std::string_view frac = rest;
    if (rest.empty() || ReadDigits(rest) != frac.size() || frac.size() > 18) return std::nullopt;
    double value = std::stod(std::string(frac));
    nanos = static_cast<int64_t>(value * std::pow(10.0, 9.0 - static_cast<double>(frac.size())));
  }
  return TimePoint(std::chrono::seconds(secs)) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos));
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  auto invalid = [&] {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("time: invalid duration \"{}\"", text));
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  while (!s.empty()) {
    if (s.front() != '.' && !IsDigit(s.front())) return invalid();
    std::string_view whole = s;
    size_t whole_digits = ReadDigits(s);
    std::string_view frac;
    if (Consume(s, '.')) {
      frac = s;
      frac = frac.substr(0, ReadDigits(s));
    }
    if (whole_digits == 0 && frac.empty()) return invalid();
    size_t unit_length = 0;
    while (unit_length < s.size() && s[unit_length] != '.' && !IsDigit(s[unit_length])) {
      ++unit_length;
    }
    if (unit_length == 0) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("time: missing unit in duration \"{}\"", text));
    }
    std::string_view unit_name = s.substr(0, unit_length);
    s.remove_prefix(unit_length);
    std::optional<uint64_t> unit = UnitNanoseconds(unit_name);
    if (!unit) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("time: unknown unit \"{}\" in duration \"{}\"", unit_name, text));
    }
    uint64_t value = 0;
    for (char c : whole.substr(0, whole_digits)) {
      if (value > (kMax - static_cast<uint64_t>(c - '0')) / 10) return invalid();
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value > kMax / *unit) return invalid();
    value *= *unit;
    long double fraction = 0;
    long double scale = 1;
    for (char c : frac) {
      scale *= 10;
      fraction += static_cast<long double>(c - '0') / scale;
    }
    value += static_cast<uint64_t>(fraction * static_cast<long double>(*unit));
    if (value > kMax || total > kMax - value) return invalid();
    total += value;
  }
  int64_t signed_total = static_cast<int64_t>(total);
  return std::chrono::nanoseconds(negative ? -signed_total : signed_total);
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  return ParseDateTime(text);
}

Result<std::chrono::system_clock::time_point> ParseFilterTime(
    std::string_view text, std::chrono::system_clock::time_point now) {
  if (text != "0") {
    if (Result<std::chrono::nanoseconds> d = ParseGoDuration(text)) {
      return now - std::chrono::duration_cast<TimePoint::duration>(*d);
    }
  }
  if (std::optional<TimePoint> t = ParseDateTime(text)) return *t;
  if (text.find('-') == std::string_view::npos) {
    if (std::optional<TimePoint> t = ParseUnixSeconds(text)) return *t;
  }
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("failed to parse value as time or duration: \"{}\"", text));
}

}  // namespace berth::image::store
