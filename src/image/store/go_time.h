// Times and durations as docker's API reads them from users: Go duration strings ("1h30m",
// "300ms": HEALTHCHECK --interval, filter until=24h) and the timestamps of filters such as
// until= (RFC 3339 dates and times, with or without a zone, or Unix seconds). Pure functions;
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace berth::image::store {

// ParseGoDuration reads a duration as Go's time.ParseDuration does: an optional sign, then one or
// more decimal numbers each with a unit (ns, us, µs, ms, s, m, h), or "0". kInvalidArgument with
// Go's messages: `time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "d" in duration "1d"`.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// ParseFilterTime reads the value of docker's time filters (until=, since= of events) relative
// to now: a Go duration means that long before now; else "2006-01-02", "2006-01-02T15",
// "2006-01-02T15:04", "2006-01-02T15:04:05" with an optional fraction of seconds, each in local
// time unless it ends in "Z" or a "+07:00"/"-07:00" offset; else Unix seconds ("1700000000",
// "1700000000.5"). kInvalidArgument `failed to parse value as time or duration: "x"`.
Result<std::chrono::system_clock::time_point> ParseFilterTime(
    std::string_view text, std::chrono::system_clock::time_point now);

// ParseRfc3339 reads the date and time forms of ParseFilterTime alone (an image config's
// "created"); nullopt when text is not one.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

}  // namespace berth::image::store
