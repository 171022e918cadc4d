#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace berth::internal {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "berth: check failed at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace berth::internal
