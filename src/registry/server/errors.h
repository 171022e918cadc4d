// The distribution API's errors: the codes of the spec, the HTTP status of each, and the body
// every error response carries: {"errors":[{"code":...,"message":...,"detail":...}]}.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "http/server.h"

namespace berth::registry::server {

enum class Code {
  kBlobUnknown,
  kBlobUploadInvalid,
  kBlobUploadUnknown,
  kDigestInvalid,
  kManifestBlobUnknown,
  kManifestInvalid,
  kManifestUnknown,
  kNameInvalid,
  kNameUnknown,
  kPaginationNumberInvalid,
  kSizeInvalid,
  kTagInvalid,
  kUnauthorized,
  kDenied,
  kUnsupported,
  kRangeInvalid,
  kUnknown,
};

struct ApiError {
  Code code;
  std::string message;
  nlohmann::json detail = nullptr;  // left out of the body when null
  int status = 0;                   // 0: the code's (CodeStatus)
  http::Headers headers = {};       // extra headers of the error response
};

template <typename T>
using ApiResult = tl::expected<T, ApiError>;
using ApiStatus = ApiResult<void>;

// CodeName is the spec's spelling: "BLOB_UNKNOWN".
std::string_view CodeName(Code code);
// CodeStatus is the HTTP status the spec gives the code.
int CodeStatus(Code code);

// SendApiError answers with the error's status, headers and body (no body on HEAD).
Status SendApiError(http::ResponseWriter& w, const ApiError& error);

// LibraryError gives an error of the libraries below a code: kUnauthenticated is UNAUTHORIZED,
// kPermissionDenied DENIED, everything else UNKNOWN with the status of its kind.
ApiError LibraryError(const Error& error);

// ToApi turns a library result into an API result.
template <typename T>
ApiResult<T> ToApi(Result<T> result) {
  if (!result) return tl::unexpected(LibraryError(result.error()));
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*result);
  }
}

template <typename T>
ApiResult<T> ToApi(ApiResult<T> result) {
  return result;
}

// ApiFail returns an API error from a function returning an ApiResult.
inline tl::unexpected<ApiError> ApiFail(Code code, std::string message,
                                        nlohmann::json detail = nullptr) {
  return tl::unexpected(ApiError{code, std::move(message), std::move(detail)});
}

}  // namespace berth::registry::server

// BERTH_API_TRY and BERTH_API_ASSIGN_OR_RETURN are BERTH_TRY and BERTH_ASSIGN_OR_RETURN for
// functions returning an ApiResult; a library Result is converted by ToApi.
#define BERTH_API_TRY(expr)                                                            \
  do {                                                                                 \
    auto berth_api_result = ::berth::registry::server::ToApi(expr);                    \
    if (!berth_api_result) return tl::unexpected(std::move(berth_api_result).error()); \
  } while (0)

#define BERTH_API_ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_API_ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(berth_api_result_, __LINE__), lhs, expr)
#define BERTH_API_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = ::berth::registry::server::ToApi(expr);       \
  if (!tmp) return tl::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

namespace berth::registry::server {}  // namespace berth::registry::server
