// Manifests as the registry accepts them: docker's image manifest (schema 2) and manifest list,
// OCI's image manifest and index. Parsing checks the shape the registry relies on and gives the
// digests a manifest references: an image manifest's config and layers (blobs), an index's
// manifests. The media types are oci/image_spec.h's. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "oci/image_spec.h"
#include "registry/server/parse.h"

namespace berth::registry::server {

// The largest manifest accepted.
inline constexpr size_t kMaxManifestBytes = 4 << 20;

struct ParsedManifest {
  std::string media_type;
  bool is_index = false;         // a manifest list or an OCI index
  std::vector<Digest> blobs;     // what must be blobs of the repository (config, layers)
  std::vector<Digest> children;  // what must be manifests of the repository (an index's entries)
};

// ParseManifest reads body sent with content_type (its parameters ignored; empty or a generic
// JSON type means the body's mediaType field decides). A schema 1 manifest is UNSUPPORTED; an
// unknown media type, malformed JSON, a mediaType field contradicting the content type, a
// schemaVersion other than 2 or a malformed descriptor is MANIFEST_INVALID. Layers with URLs
// (foreign layers) are not required to be in the repository.
ApiResult<ParsedManifest> ParseManifest(std::string_view content_type, std::string_view body);

}  // namespace berth::registry::server
