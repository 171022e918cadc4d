// Result<T>: the return type of every fallible function, a value or an Error. It is tl::expected
// behind one alias so that std::expected can replace it. Helper macros propagate errors.
#pragma once

#include <tl/expected.hpp>

#include "base/error.h"

namespace berth {

template <typename T>
using Result = tl::expected<T, Error>;

using Status = Result<void>;

inline tl::unexpected<Error> Fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline tl::unexpected<Error> Fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error(kind, std::move(message)));
}

// Ok() is the success value of a Status.
inline Status Ok() { return {}; }

// Annotate prepends context to the error of a result, if any.
template <typename T>
Result<T> Annotate(Result<T> result, std::string_view context) {
  if (!result) result.error().Wrap(context);
  return result;
}

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// BERTH_TRY(expr): returns the error of a failed Result from the enclosing function.
#define BERTH_TRY(expr)                                                               \
  do {                                                                                \
    auto&& berth_try_result = (expr);                                                 \
    if (!berth_try_result) return ::berth::Fail(std::move(berth_try_result).error()); \
  } while (0)

// BERTH_ASSIGN_OR_RETURN(lhs, expr): lhs = value of expr, or return its error.
#define BERTH_ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(berth_result_, __LINE__), lhs, expr)
#define BERTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)       \
  auto tmp = (expr);                                      \
  if (!tmp) return ::berth::Fail(std::move(tmp).error()); \
  lhs = std::move(*tmp)
