// Saving images from the image store as archives that docker, podman and berth all load: Save
// writes what docker 25 writes (blobs/sha256/<hex>, manifest.json and repositories for docker's
// loader, oci-layout and index.json for OCI tools), SaveLayout an OCI image layout directory. An
// image keeps the manifest it was loaded or pulled with when the store holds it; otherwise an OCI
// manifest is made from its config and layer blobs (the same bytes every time). Blobs are
// streamed, and checked against their digest under the store's kVerify policy. Thread-safe as the
// store is; the images must not be deleted meanwhile.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "base/digest.h"
#include "base/result.h"
#include "image/metadata/records.h"
#include "image/store/image_store.h"
#include "oci/image_spec.h"

namespace berth::image::store {

// The manifest an image is saved or pushed with.
struct ImageManifest {
  std::string bytes;
  std::string media_type;
  Digest digest;
  oci::Manifest manifest;
  std::optional<oci::Platform> platform;  // from the config, when it names one
  bool made = false;                      // made here (bytes not in the content store)
};

// ManifestOf is the image's stored manifest when the store holds it and its layer blobs, else an
// OCI manifest made from its config and layer blobs (the same bytes every time).
Result<ImageManifest> ManifestOf(ImageStore& store, const metadata::ImageRecord& image);

struct SaveOptions {
  ProgressSink progress;  // kWriting events, one item per blob
};

// Save writes the images refs name (references or ids, as Catalog::Resolve takes them) to fd as
// a tar. A reference adds its name to the image's tags in the archive; an id saves the image
// without names. An image named twice is written once.
Status Save(ImageStore& store, const std::vector<std::string>& refs, int fd,
            const SaveOptions& options = {});

// SaveLayout writes the images as an OCI image layout in dir, which must be absent or empty.
Status SaveLayout(ImageStore& store, const std::vector<std::string>& refs, const std::string& dir,
                  const SaveOptions& options = {});

}  // namespace berth::image::store
