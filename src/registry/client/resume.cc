#include "registry/client/resume.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::registry::client {

std::string RangeHeaderValue(int64_t offset) { return fmt::format("bytes={}-", offset); }

Result<ResumeAction> DecideResume(long status, const std::optional<std::string>& content_range,
                                  int64_t offset, int64_t expected_size) {
  if (status == 200) return offset == 0 ? ResumeAction::kAppend : ResumeAction::kRestart;
  if (status != 206) {
    return Fail(ErrorKind::kUnavailable,
                fmt::format("resume at byte {}: status {}", offset, status));
  }
  // Content-Range: bytes <first>-<last>/<total or *>
  const std::string range(TrimSpace(content_range.value_or("")));
  const size_t dash = range.find('-');
  const size_t slash = range.find('/');
  if (!range.starts_with("bytes ") || dash == std::string::npos || slash == std::string::npos ||
      slash < dash) {
    return Fail(ErrorKind::kDataLoss,
                fmt::format("resume at byte {}: bad Content-Range \"{}\"", offset, range));
  }
  Result<uint64_t> first = ParseUint64(range.substr(6, dash - 6));
  if (!first || static_cast<int64_t>(*first) != offset) {
    return Fail(ErrorKind::kDataLoss,
                fmt::format("resume at byte {}: the server sent \"{}\"", offset, range));
  }
  const std::string total = range.substr(slash + 1);
  if (total != "*" && expected_size > 0) {
    Result<uint64_t> size = ParseUint64(total);
    if (!size || static_cast<int64_t>(*size) != expected_size) {
      return Fail(ErrorKind::kDataLoss,
                  fmt::format("resume at byte {}: the server's blob has {} bytes, not {}", offset,
                              total, expected_size));
    }
  }
  return ResumeAction::kAppend;
}

}  // namespace berth::registry::client
