// BERTH_CHECK aborts on a programming error (a broken invariant), never on a condition the
// environment can cause: those return an Error.
#pragma once

namespace berth::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}

#define BERTH_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::berth::internal::CheckFailed(__FILE__, __LINE__, #cond))
