// Loading image archives into the image store, as `docker load` and `podman load` do: `docker
// save` archives (docker 24 and older: <id>/layer.tar, <id>.json, manifest.json, repositories;
// docker 25 and later, podman: blobs/sha256/..., manifest.json, index.json, oci-layout), OCI image
// layout tars (oci-layout, index.json, blobs/), plain or compressed (gzip, zstd, xz, bzip2), read
// as a stream; and OCI image layout directories. Every file of an archive streams into the content
// store (hashed while written, never held in memory); then manifest.json (or, without it,
// index.json) decides the images and their names; then the layers are unpacked and the images
// recorded. Archives are untrusted: paths must stay inside the archive, digests and sizes must
// match, and errors name the entry. All the work is held by one lease: on error nothing is recorded
// and what was written is collected. Thread-safe as the store is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/reference/reference.h"
#include "image/store/image_store.h"
#include "oci/image_spec.h"

namespace berth::image::store {

struct LoadOptions {
  ProgressSink progress;
  // The platform whose manifest is taken from a multi-platform index; the host's when unset.
  std::optional<oci::Platform> platform;
};

struct LoadedImage {
  Digest id;
  std::vector<Reference> names;  // the tags and repo digests the archive gave it
};

struct LoadResult {
  std::vector<LoadedImage> images;  // in the archive's order
};

// Load reads an archive from fd (to its end; the caller keeps the descriptor).
Result<LoadResult> Load(ImageStore& store, int fd, const LoadOptions& options = {});

// LoadLayoutDir loads the images of an OCI image layout directory.
Result<LoadResult> LoadLayoutDir(ImageStore& store, const std::string& dir,
                                 const LoadOptions& options = {});

}  // namespace berth::image::store
