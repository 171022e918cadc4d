#include "oci/image_spec.h"

#include <algorithm>
#include <array>

namespace berth::oci {
namespace {

struct LayerType {
  std::string_view media_type;
  Compression compression;
  bool nondistributable;
};

constexpr std::array<LayerType, 11> kLayerTypes = {{
    {kMediaTypeOciLayer, Compression::kNone, false},
    {kMediaTypeOciLayerGzip, Compression::kGzip, false},
    {kMediaTypeOciLayerZstd, Compression::kZstd, false},
    {kMediaTypeOciLayerNondistributable, Compression::kNone, true},
    {kMediaTypeOciLayerNondistributableGzip, Compression::kGzip, true},
    {kMediaTypeOciLayerNondistributableZstd, Compression::kZstd, true},
    {kMediaTypeDockerLayer, Compression::kNone, false},
    {kMediaTypeDockerLayerGzip, Compression::kGzip, false},
    {kMediaTypeDockerLayerZstd, Compression::kZstd, false},
    {kMediaTypeDockerForeignLayer, Compression::kNone, true},
    {kMediaTypeDockerForeignLayerGzip, Compression::kGzip, true},
}};

const LayerType* FindLayerType(std::string_view media_type) {
  auto it = std::find_if(kLayerTypes.begin(), kLayerTypes.end(),
                         [&](const LayerType& t) { return t.media_type == media_type; });
  return it == kLayerTypes.end() ? nullptr : &*it;
}

// RFC 6838 section 4.2: restricted-name = restricted-name-first *126restricted-name-chars.
bool IsRestrictedName(std::string_view name) {
  if (name.empty() || name.size() > 127) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) {
    return alnum(c) || std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
  });
}

}  // namespace

bool IsValidMediaType(std::string_view media_type) {
  size_t slash = media_type.find('/');
  if (slash == std::string_view::npos) return false;
  return IsRestrictedName(media_type.substr(0, slash)) &&
         IsRestrictedName(media_type.substr(slash + 1));
}

bool IsManifestMediaType(std::string_view media_type) {
  return media_type == kMediaTypeOciManifest || media_type == kMediaTypeDockerManifest;
}

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == kMediaTypeOciIndex || media_type == kMediaTypeDockerManifestList;
}

bool IsConfigMediaType(std::string_view media_type) {
  return media_type == kMediaTypeOciConfig || media_type == kMediaTypeDockerConfig;
}

bool IsLayerMediaType(std::string_view media_type) { return FindLayerType(media_type) != nullptr; }

bool IsNondistributableLayerMediaType(std::string_view media_type) {
  const LayerType* type = FindLayerType(media_type);
  return type != nullptr && type->nondistributable;
}

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kXz:
      return "xz";
    case Compression::kBzip2:
      return "bzip2";
  }
  return "none";
}

std::optional<Compression> LayerCompression(std::string_view media_type) {
  const LayerType* type = FindLayerType(media_type);
  if (type == nullptr) return std::nullopt;
  return type->compression;
}

Platform PlatformOf(const ImageConfig& config) {
  return Platform{.architecture = config.architecture,
                  .os = config.os,
                  .os_version = config.os_version,
                  .os_features = config.os_features,
                  .variant = config.variant};
}

}  // namespace berth::oci
