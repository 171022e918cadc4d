// Pushing an image from the image store to a registry, as `docker push` does: each blob (layers,
// then the config) checked with HEAD first and skipped when the repository has it, mounted from
// another repository of the same registry that is known to hold it (?mount=&from=), otherwise
// uploaded from the content store, in one PUT or, past the chunk size, in PATCHed chunks closed
// by a PUT; then the manifest (the one the image came with, or an OCI manifest made from its
// config and layers) under the tag. The pushed digest becomes a repo digest of the image and the
// repository is recorded for each layer blob. Progress is docker's push stream. Layers are pushed
// a few at once; the caller's thread waits for them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/reference/reference.h"
#include "image/store/image_store.h"
#include "registry/client/auth.h"
#include "registry/client/hosts.h"
#include "registry/client/parallel.h"

namespace berth::registry::client {

inline constexpr int kDefaultConcurrentUploads = 5;
// Blobs up to this size go in one PUT; larger ones in PATCHed chunks of this size.
inline constexpr int64_t kDefaultUploadChunkSize = 64 << 20;

struct PushOptions {
  RegistryConfig registry;
  Credentials credentials;
  int concurrent_uploads = kDefaultConcurrentUploads;
  int64_t chunk_size = kDefaultUploadChunkSize;
};

struct PushedTag {
  std::string tag;
  Digest digest;  // of the manifest
  int64_t size = 0;
};

// Push pushes the image name (with a tag) names, or, without a tag, every tag of its repository.
// A name the store lacks is kNotFound ("An image does not exist locally with the tag: x").
Result<std::vector<PushedTag>> Push(image::store::ImageStore& store, const image::Reference& name,
                                    const PushOptions& options, const LineSink& sink);

// UploadUrl appends a query to an upload's Location, which may have a query already.
std::string UploadUrl(std::string_view location, std::string_view query);

}  // namespace berth::registry::client
