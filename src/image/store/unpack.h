// Unpacking layers into committed snapshots named by their chain ids: the store's part of
// ImageStore::UnpackImage. Where the snapshotter prepares ahead (overlay, whose layer directories
// do not depend on what lies under them), every layer's snapshot is prepared at once ahead of its
// parent, the layers are extracted in parallel into them and committed base first. Otherwise
// (native) one after the other: each layer is extracted into the snapshot prepared on its
// committed parent. Every snapshot made is held by the caller's lease before it exists, so a crash
// leaves only active snapshots that the next Open's garbage collection removes. Stateless
// functions; the context's parts are borrowed and must be thread-safe (they are).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/content/store.h"
#include "image/snapshot/snapshotter.h"
#include "image/store/image_store.h"

namespace berth::image::store {

// The label of a layer's committed snapshot that holds the size of the layer's tar, so a layer
// found in its snapshot is recorded with its size.
inline constexpr std::string_view kLayerSizeLabel = "berth.image.layer.size";

// One layer whose snapshot does not exist yet.
struct LayerPlan {
  Digest blob;  // the layer blob in the content store
  int64_t blob_size = 0;
  Digest diff_id;
  std::string chain;   // the chain id: the name of the committed snapshot
  std::string parent;  // the parent's chain id; empty for a base layer
};

struct UnpackContext {
  content::Store* content = nullptr;
  snapshot::Snapshotter* snapshotter = nullptr;
  Lease* lease = nullptr;
  bool verify_blobs = true;  // check each blob against its digest while it is read
  int parallelism = 1;       // layers extracted at once where the snapshotter prepares ahead
  ProgressSink progress;     // serialised by the caller
};

// UnpackLayers unpacks layers (each one's parent committed already or earlier in the list) and
// returns the size of each layer's tar. A layer committed meanwhile by another writer counts as
// unpacked. Errors name the layer blob; the snapshots of a failed call are removed.
Result<std::vector<int64_t>> UnpackLayers(const UnpackContext& context,
                                          const std::vector<LayerPlan>& layers);

// ShortId is the first 12 hex digits of a digest, as docker shows ids.
std::string ShortId(const Digest& digest);

}  // namespace berth::image::store
