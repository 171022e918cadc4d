#include "registry/server/manifest.h"

#include <nlohmann/json.hpp>

namespace berth::registry::server {
namespace {

using nlohmann::json;

tl::unexpected<ApiError> Invalid(std::string message) {
  return tl::unexpected(ApiError{Code::kManifestInvalid, "manifest invalid", std::move(message)});
}

// MediaTypeOf drops the parameters of a Content-Type ("...+json; charset=utf-8").
std::string_view MediaTypeOf(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

bool IsKnown(std::string_view type) {
  return type == oci::kMediaTypeDockerManifest || type == oci::kMediaTypeDockerManifestList ||
         type == oci::kMediaTypeOciManifest || type == oci::kMediaTypeOciIndex;
}

// ReadDescriptor appends the digest of a descriptor to out (unless it is a foreign layer, whose
// bytes live elsewhere).
tl::expected<void, ApiError> ReadDescriptor(const json& descriptor, std::string_view where,
                                            std::vector<Digest>* out) {
  if (!descriptor.is_object() || !descriptor.contains("digest") ||
      !descriptor["digest"].is_string()) {
    return Invalid(std::string(where) + " is not a descriptor with a digest");
  }
  Result<Digest> digest = Digest::Parse(descriptor["digest"].get<std::string>());
  if (!digest) return Invalid(std::string(where) + ": " + digest.error().message());
  if (descriptor.contains("size") && !descriptor["size"].is_number_integer()) {
    return Invalid(std::string(where) + ": size is not an integer");
  }
  if (!descriptor.contains("urls")) out->push_back(std::move(*digest));
  return {};
}

tl::expected<void, ApiError> ReadDescriptors(const json& document, const char* field, bool required,
                                             std::vector<Digest>* out) {
  if (!document.contains(field)) {
    if (required) return Invalid(std::string("no ") + field);
    return {};
  }
  const json& list = document[field];
  if (!list.is_array()) return Invalid(std::string(field) + " is not an array");
  for (size_t i = 0; i < list.size(); ++i) {
    auto read = ReadDescriptor(list[i], std::string(field) + "[" + std::to_string(i) + "]", out);
    if (!read) return read;
  }
  return {};
}

}  // namespace

ApiResult<ParsedManifest> ParseManifest(std::string_view content_type, std::string_view body) {
  json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) return Invalid("not a JSON object");
  std::string field_type;
  if (document.contains("mediaType")) {
    if (!document["mediaType"].is_string()) return Invalid("mediaType is not a string");
    field_type = document["mediaType"].get<std::string>();
  }
  std::string type(MediaTypeOf(content_type));
  if (type.empty() || type == "application/json" || type == "application/octet-stream") {
    type = field_type;
  }
  if (type.starts_with("application/vnd.docker.distribution.manifest.v1")) {
    return tl::unexpected(
        ApiError{Code::kUnsupported, "schema 1 manifests are not supported", type});
  }
  if (!IsKnown(type)) {
    return Invalid("unknown manifest media type \"" + type + "\"");
  }
  if (!field_type.empty() && field_type != type) {
    return Invalid("mediaType \"" + field_type + "\" contradicts the content type \"" + type +
                   "\"");
  }
  if (!document.contains("schemaVersion") || document["schemaVersion"] != 2) {
    return Invalid("schemaVersion is not 2");
  }
  ParsedManifest parsed;
  parsed.media_type = type;
  parsed.is_index = type == oci::kMediaTypeDockerManifestList || type == oci::kMediaTypeOciIndex;
  tl::expected<void, ApiError> read;
  if (parsed.is_index) {
    read = ReadDescriptors(document, "manifests", true, &parsed.children);
  } else {
    read = ReadDescriptor(document.value("config", json()), "config", &parsed.blobs);
    if (read) read = ReadDescriptors(document, "layers", true, &parsed.blobs);
  }
  if (!read) return tl::unexpected(std::move(read).error());
  return parsed;
}

}  // namespace berth::registry::server
