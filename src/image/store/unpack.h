// Unpacking layers into committed snapshots named by their chain ids: the store's part of
// ImageStore::UnpackImage. Where the snapshotter prepares ahead (overlay, whose layer directories
// do not depend on what lies under them), every layer's snapshot is prepared at once ahead of its
// parent, the layers are extracted in parallel into them and committed base first. Otherwise
// (native) one after the other: each layer is extracted into the snapshot prepared on its
// committed parent. Every snapshot made is held by the caller's lease before it exists, so a crash
// leaves only active snapshots that the next Open's garbage collection removes. LayerWriter
// extracts a layer while its blob is being written (a pull's download), for UnpackLayers to commit
// later. Stateless functions; the context's parts are borrowed and must be thread-safe (they are).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "image/content/store.h"
#include "image/layer/apply.h"
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
  // Extracted already (LayerWriter): only committed. Only where the snapshotter prepares ahead.
  std::optional<ExtractedLayer> extracted;
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

// LayerWriter streams one layer blob into the content store and, as its bytes arrive, extracts
// it into a snapshot prepared ahead of its parent, so that a download and its unpacking overlap
// and the blob is never read back. The bytes go to the store's ingest (hashed) and through a
// socket to layer::Apply on a thread of its own (which inflates on another, layer_stream.h);
// meanwhile a third syncs the snapshot's filesystem every 250 ms, so that the disk writes while
// the layer is extracted and the commit's sync finds little left.
// Should the extraction stop early (a hostile or broken tar), the blob is still written whole so
// that Commit can tell a corrupt download (the digest) from a bad layer. Commit judges in that
// order: the blob's digest, then the extraction (the tar's digest against the diff id); only then
// is the blob committed and the snapshot handed to the caller (as an ExtractedLayer to pass to
// PutImage through LayerBlobInput, which commits the layers base first). On any failure, and when
// the writer is destroyed before Commit, the snapshot and the ingest are removed; a crash leaves
// an active snapshot held by the lease and an ingest file, which the next Open removes.
// Belongs to one thread (plus its extraction thread).
class LayerWriter {
 public:
  // Start prepares layer's snapshot ahead of its parent, held by context.lease, and starts the
  // extraction; blob (held by the same lease) receives the bytes. kFailedPrecondition where the
  // snapshotter cannot prepare ahead (native). context.progress, when set, gets the extraction's
  // progress (kExtracting). ImageStore::NewLayerWriter makes the context and the blob.
  static Result<std::unique_ptr<LayerWriter>> Start(const UnpackContext& context,
                                                    const LayerPlan& layer, BlobWriter blob);
  ~LayerWriter();
  LayerWriter(const LayerWriter&) = delete;
  LayerWriter& operator=(const LayerWriter&) = delete;

  Status Write(std::string_view data);
  int64_t size() const { return blob_.size(); }
  // Commit checks and keeps what was written (see above): kDataLoss for a digest that is not
  // layer.blob's ("digest mismatch: ...") or a tar that is not the diff id.
  Result<ExtractedLayer> Commit();

 private:
  LayerWriter(const UnpackContext& context, LayerPlan layer, BlobWriter blob, std::string key,
              UniqueFd socket);
  // StopExtraction ends the extractor's input and waits for it.
  void StopExtraction();

  UnpackContext context_;
  LayerPlan layer_;
  BlobWriter blob_;
  std::string key_;  // the active snapshot; empty once handed out or removed
  UniqueFd socket_;  // the extractor's input, our end; closed once it has all or has stopped
  std::optional<Result<layer::ApplyResult>> applied_;
  std::thread extractor_;
};

// ShortId is the first 12 hex digits of a digest, as docker shows ids.
std::string ShortId(const Digest& digest);

}  // namespace berth::image::store
