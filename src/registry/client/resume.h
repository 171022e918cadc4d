// Resuming a blob download after a broken connection: the next request asks for the rest with
// `Range: bytes=<have>-`, and the answer decides whether the bytes that come are appended (206
// with a Content-Range starting at <have>) or the blob starts over (200: the server ignores
// ranges). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::registry::client {

// How many times a download is resumed before it fails.
inline constexpr int kMaxResumes = 5;

enum class ResumeAction { kAppend, kRestart };

// RangeHeaderValue is "bytes=<offset>-".
std::string RangeHeaderValue(int64_t offset);

// DecideResume judges the answer to a request sent with offset bytes held (0: a first request,
// whose 200 is simply kAppend). kDataLoss when a 206 does not continue at offset or names a
// total other than expected_size (when known, > 0).
Result<ResumeAction> DecideResume(long status, const std::optional<std::string>& content_range,
                                  int64_t offset, int64_t expected_size);

}  // namespace berth::registry::client
