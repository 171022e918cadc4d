#include "registry/server/errors.h"

#include "http/status.h"

namespace berth::registry::server {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kBlobUnknown:
      return "BLOB_UNKNOWN";
    case Code::kBlobUploadInvalid:
      return "BLOB_UPLOAD_INVALID";
    case Code::kBlobUploadUnknown:
      return "BLOB_UPLOAD_UNKNOWN";
    case Code::kDigestInvalid:
      return "DIGEST_INVALID";
    case Code::kManifestBlobUnknown:
      return "MANIFEST_BLOB_UNKNOWN";
    case Code::kManifestInvalid:
      return "MANIFEST_INVALID";
    case Code::kManifestUnknown:
      return "MANIFEST_UNKNOWN";
    case Code::kNameInvalid:
      return "NAME_INVALID";
    case Code::kNameUnknown:
      return "NAME_UNKNOWN";
    case Code::kPaginationNumberInvalid:
      return "PAGINATION_NUMBER_INVALID";
    case Code::kSizeInvalid:
      return "SIZE_INVALID";
    case Code::kTagInvalid:
      return "TAG_INVALID";
    case Code::kUnauthorized:
      return "UNAUTHORIZED";
    case Code::kDenied:
      return "DENIED";
    case Code::kUnsupported:
      return "UNSUPPORTED";
    case Code::kRangeInvalid:
      return "RANGE_INVALID";
    case Code::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

int CodeStatus(Code code) {
  switch (code) {
    case Code::kBlobUnknown:
    case Code::kBlobUploadUnknown:
    case Code::kManifestUnknown:
    case Code::kNameUnknown:
      return 404;
    case Code::kUnauthorized:
      return 401;
    case Code::kDenied:
      return 403;
    case Code::kUnsupported:
      return 415;
    case Code::kRangeInvalid:
      return 416;
    case Code::kUnknown:
      return 500;
    case Code::kBlobUploadInvalid:
    case Code::kDigestInvalid:
    case Code::kManifestBlobUnknown:
    case Code::kManifestInvalid:
    case Code::kNameInvalid:
    case Code::kPaginationNumberInvalid:
    case Code::kSizeInvalid:
    case Code::kTagInvalid:
      return 400;
  }
  return 500;
}

Status SendApiError(http::ResponseWriter& w, const ApiError& error) {
  nlohmann::json entry = {{"code", CodeName(error.code)}, {"message", error.message}};
  if (!error.detail.is_null()) entry["detail"] = error.detail;
  nlohmann::json body = {{"errors", nlohmann::json::array({entry})}};
  int status = error.status != 0 ? error.status : CodeStatus(error.code);
  return w.Send(status, "application/json; charset=utf-8", body.dump() + "\n", error.headers);
}

ApiError LibraryError(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::kUnauthenticated:
      return {Code::kUnauthorized, error.message()};
    case ErrorKind::kPermissionDenied:
      return {Code::kDenied, error.message()};
    default:
      return {Code::kUnknown, error.message(), nullptr, http::HttpStatus(error.kind())};
  }
}

}  // namespace berth::registry::server
