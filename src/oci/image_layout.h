// The index files of image archives: `docker save`'s manifest.json and repositories, and the OCI
// image layout's oci-layout and index.json (docker 25 and later write both sets into one tar).
// These files come from untrusted archives, so decoding also checks that every path names a file
// inside the archive (relative, no ".." component), that digests and image ids are well formed
// and that reference names use the characters the spec allows. Pure functions, no I/O,
// thread-safe. Errors are kInvalidArgument and name the bad property.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::oci {

// File names at the root of an archive.
inline constexpr std::string_view kSaveManifestFile = "manifest.json";
inline constexpr std::string_view kRepositoriesFile = "repositories";
inline constexpr std::string_view kOciLayoutFile = "oci-layout";
inline constexpr std::string_view kOciIndexFile = "index.json";

inline constexpr std::string_view kOciLayoutVersion = "1.0.0";

// The full reference ("docker.io/library/busybox:latest") containerd and docker 25+ put beside
// kAnnotationRefName, which docker sets to the tag alone.
inline constexpr std::string_view kAnnotationContainerdImageName = "io.containerd.image.name";

// ValidateArchivePath accepts a path that stays inside the archive: not empty, relative, without
// a ".." component and without NUL bytes.
[[nodiscard]] berth::Status ValidateArchivePath(std::string_view path);

// One image of manifest.json.
struct SaveManifestEntry {
  // The config blob: "blobs/sha256/<hex>" (docker 25+) or "<hex>.json" (older docker).
  std::string config;
  std::vector<std::string> repo_tags;  // "busybox:latest"; empty for an image saved by id
  // The layer tars, base first: "blobs/sha256/<hex>" or "<v1 id>/layer.tar".
  std::vector<std::string> layers;
  std::optional<Digest> parent;  // the parent image's id, when docker recorded one
  // Descriptors of foreign (non-distributable) layers, keyed by the layer's diff id.
  std::map<std::string, Descriptor> layer_sources;

  bool operator==(const SaveManifestEntry&) const = default;
};

// "decode manifest.json: [0].Layers[1]: invalid archive path ..."
[[nodiscard]] Result<std::vector<SaveManifestEntry>> DecodeSaveManifest(std::string_view json);
// Compact JSON in docker's property order; RepoTags is null when empty, as docker writes it.
std::string EncodeSaveManifest(const std::vector<SaveManifestEntry>& entries);

// The legacy repositories file: repository → tag → the id of the image's top v1 layer (64
// lowercase hex digits, also the name of that layer's directory in the archive).
using Repositories = std::map<std::string, std::map<std::string, std::string>>;

[[nodiscard]] Result<Repositories> DecodeRepositories(
    std::string_view json);  // "decode repositories: ..."
std::string EncodeRepositories(const Repositories& repositories);

// oci-layout: {"imageLayoutVersion":"1.0.0"}; other versions are rejected.
[[nodiscard]] berth::Status DecodeOciLayout(std::string_view json);  // "decode oci-layout: ..."
std::string EncodeOciLayout();

// index.json: DecodeIndex's document whose kAnnotationRefName and kAnnotationContainerdImageName
// values must be non-empty and use only [A-Za-z0-9] and -._:@/+ ("index.json: ..."). Encode it
// with EncodeIndex.
[[nodiscard]] Result<Index> DecodeLayoutIndex(std::string_view json);

}  // namespace berth::oci
