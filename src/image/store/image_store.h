// ImageStore joins the image parts over one data root: blobs in the content store, images, names,
// layers and leases in the catalog, unpacked layers in a snapshotter. It owns all three (and the
// metadata database under them); callers borrow them through the accessors. Thread-safety: every
// method may run on several threads at once; one process uses a root at a time (Open takes a lock
// on root/lock and fails with kUnavailable while another process holds it).
//
// On disk, under the data root:
//   content/blobs/sha256/<hex>   blobs, written through content/ingest/
//   metadata.db                  the catalog's and the snapshotter's tables (SQLite, WAL)
//   snapshots/<snapshotter>/     the snapshotter's trees ("overlay" or "native")
//   tmp/                         mount points of the views a commit compares a native tree with
//   lock                         held (flock) by the process that has the store open
//
// Crash safety: every change of state is one transaction or one rename, and everything a piece of
// work writes is held by a lease of its own until the catalog records it. Open cleans what a crash
// left: ingest files, trees without a snapshot row, tmp/, the leases of the work that was running
// (Lease) and then, by a garbage collection, whatever nothing holds any more.
//
// Lock discipline. A writer that relies on finding a blob, layer or snapshot (to skip writing it)
// must hold it first: Lease::Hold records the resource under the store's lock taken shared, and
// only then does the writer look. Deleting files (Gc, DeleteImage) takes that lock exclusively from
// the moment it decides what is garbage until the files are gone. So a resource held is never
// planned for deletion, and a resource planned for deletion is gone before any writer can hold it
// again (the writer then finds it absent and writes it anew).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "image/content/store.h"
#include "image/metadata/catalog.h"
#include "image/metadata/database.h"
#include "image/reference/reference.h"
#include "image/snapshot/directory_snapshotter.h"
#include "image/snapshot/mount.h"
#include "image/snapshot/snapshotter.h"
#include "image/store/gc.h"

namespace berth::image::store {

enum class SnapshotterKind {
  kAuto,     // overlay when ProbeOverlay succeeds on the root's filesystem, native otherwise
  kOverlay,  // overlay or an error
  kNative,
};

// How blob reads are checked against their digest.
enum class BlobReadPolicy {
  kVerify,  // re-hash what is read (layers while they are extracted, other blobs before use)
  kTrust,   // trust the content store; `verify` finds corruption later
};

Result<SnapshotterKind> ParseSnapshotterKind(std::string_view name);  // auto, overlay, native
Result<BlobReadPolicy> ParseBlobReadPolicy(std::string_view name);    // verify, trust

// What long work reports, one event per step of one item, as docker's progress lines show it.
enum class ProgressAction {
  kLoading,        // an archive entry is streaming into the content store ("Loading layer")
  kExtracting,     // a layer is being unpacked into its snapshot
  kAlreadyExists,  // a layer's snapshot exists: nothing to unpack
  kLayerDone,      // a layer is unpacked and committed
  kWriting,        // a blob is being written out (save, export)
  kVerifying,      // a blob is being re-hashed
};

std::string_view ProgressActionName(ProgressAction action);  // docker's words: "Loading layer"

struct ProgressEvent {
  ProgressAction action = ProgressAction::kLoading;
  std::string id;       // the item: 12 hex digits of a digest, or an archive entry's name
  int64_t current = 0;  // bytes done
  int64_t total = 0;    // bytes in all; 0 when unknown
};

// A sink for progress events. The store serialises its calls (never two at once, even while
// layers are extracted in parallel). An error it returns (kCancelled, say) stops the work.
using ProgressSink = std::function<Status(const ProgressEvent&)>;

struct StoreOptions {
  std::string root;  // the data root; created when missing
  SnapshotterKind snapshotter = SnapshotterKind::kAuto;
  // How many layers of one image are extracted at once (overlay only); 0: one per CPU.
  int parallelism = 0;
  BlobReadPolicy read_policy = BlobReadPolicy::kVerify;
  // How long the leases of work in progress (loads, imports, commits) live should the process
  // end without deleting them and the next Open not run: a later GC then takes their resources.
  std::chrono::seconds work_lease_ttl = std::chrono::hours(24);
  // Hooks of the parts, for tests that stop the process at a crash point or set the clock.
  content::StoreOptions content;
  snapshot::DirectoryOptions snapshots;
  metadata::CatalogOptions catalog;
};

class ImageStore;
class LayerWriter;     // unpack.h
struct LayerPlan;      // unpack.h
struct UnpackContext;  // unpack.h

// Lease keeps what one piece of work writes or adopts alive until the catalog records it. It is
// deleted when the object is destroyed; what it alone held then becomes garbage. Belongs to one
// piece of work; Hold may be called from several threads.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  const std::string& id() const { return id_; }

  // Hold makes the lease hold resource, under the store's lock taken shared (see the lock
  // discipline above): afterwards no GC deletes it, and a writer may look whether it exists.
  Status Hold(const metadata::LeaseResource& resource);
  Status HoldBlob(const Digest& digest);
  Status HoldLayer(const Digest& chain_id);
  Status HoldSnapshot(std::string_view key);

 private:
  friend class ImageStore;
  class LayerWriter;     // unpack.h
  struct LayerPlan;      // unpack.h
  struct UnpackContext;  // unpack.h
  Lease(ImageStore* store, std::string id) : store_(store), id_(std::move(id)) {}

  ImageStore* store_;
  std::string id_;
};

// BlobWriter streams one blob into the content store, held by a lease. It hashes what it writes;
// Commit holds the blob in the lease before the blob appears under its digest. Destroying it
// before Commit discards what was written. Belongs to one thread.
class BlobWriter {
 public:
  Status Write(std::string_view data);
  // Commit makes the bytes written a blob. With expected, a different digest is kDataLoss
  // ("digest mismatch: ..."), and the blob is not stored.
  Result<content::Info> Commit(const std::optional<Digest>& expected = std::nullopt);
  int64_t size() const { return writer_.offset(); }
  // digest finishes the hash of the bytes written (Write fails afterwards; Commit still works).
  const Digest& digest() { return writer_.digest(); }

 private:
  friend class ImageStore;
  class LayerWriter;     // unpack.h
  struct LayerPlan;      // unpack.h
  struct UnpackContext;  // unpack.h
  BlobWriter(Lease* lease, content::Writer writer) : lease_(lease), writer_(std::move(writer)) {}

  Lease* lease_;
  content::Writer writer_;
};

// A layer unpacked ahead of its parent into an active snapshot held by the work's lease, and the
// size of its tar.
struct ExtractedLayer {
  std::string key;
  int64_t size = 0;
};

// A layer of an image to put: the blob it is stored as (held by the caller's lease). Its diff id
// comes from the image config, at the same position.
struct LayerBlobInput {
  Digest digest;
  // The blob's media type; empty: an OCI layer media type from the compression found in the blob.
  std::string media_type;
  // The layer extracted already while its blob was written (unpack.h's LayerWriter): its active
  // snapshot is committed as it is rather than extracted again.
  std::optional<ExtractedLayer> extracted;
};

// An image to put: a config blob and its layer blobs already in the content store.
struct ImageInput {
  Digest config;                       // the image id
  std::vector<LayerBlobInput> layers;  // base first, one per rootfs.diff_ids entry of the config
  std::optional<metadata::Target> target;  // the manifest the image came through, if any
  std::vector<metadata::BlobRef> blobs;    // further blobs the image needs (manifest, index)
  std::vector<Reference> names;            // tags and repo digests to point at it
  std::optional<Digest> parent;            // a local image it was built on
  std::map<std::string, std::string> labels;
  std::vector<std::string> repositories;  // repositories known to hold the layer blobs
};

// What PutImage did.
struct PutImageResult {
  metadata::PutResult put;
  int layers_extracted = 0;
  int layers_reused = 0;  // found in their snapshot already
};

struct PrepareRootfsResult {
  std::vector<snapshot::Mount> mounts;  // the writable rootfs; the caller applies them
};

struct CorruptBlob {
  Digest digest;
  std::string error;  // why it failed verification
};

struct MissingBlob {
  Digest image;
  Digest digest;
};

struct VerifyReport {
  int64_t blobs = 0;  // blobs re-hashed
  int64_t bytes = 0;
  std::vector<CorruptBlob> corrupt;
  std::vector<MissingBlob> missing;  // blobs images need that the content store lacks
  bool Clean() const { return corrupt.empty() && missing.empty(); }
};

class ImageStore {
 public:
  // Open creates or opens the store at options.root and cleans what a crash left (see above).
  static Result<std::unique_ptr<ImageStore>> Open(StoreOptions options);
  ~ImageStore();
  ImageStore(const ImageStore&) = delete;
  ImageStore& operator=(const ImageStore&) = delete;

  const std::string& root() const { return options_.root; }
  const StoreOptions& options() const { return options_; }
  int parallelism() const { return parallelism_; }
  content::Store& content() { return content_; }
  metadata::Database& database() { return *db_; }
  metadata::Catalog& catalog() { return catalog_; }
  snapshot::Snapshotter& snapshotter() { return *snapshotter_; }

  // NewLease starts the lease of one piece of work (purpose names it: "load", "import"); it
  // expires after options().work_lease_ttl and the next Open deletes it.
  Result<Lease> NewLease(std::string_view purpose);

  // NewBlobWriter starts a blob held by lease.
  Result<BlobWriter> NewBlobWriter(Lease& lease);
  // NewLayerWriter starts a layer blob held by lease that is extracted into its snapshot while
  // it is written (unpack.h's LayerWriter; overlay only, kFailedPrecondition otherwise).
  Result<std::unique_ptr<LayerWriter>> NewLayerWriter(Lease& lease, const LayerPlan& layer,
                                                      const ProgressSink& progress = {});
  // WriteBlob stores data (a config or manifest made in memory) as a blob held by lease.
  Result<content::Info> WriteBlob(Lease& lease, std::string_view data);
  // OpenBlob opens a blob for reading; under kVerify it is re-hashed first (kDataLoss when it
  // no longer matches its digest). kNotFound when absent.
  Result<UniqueFd> OpenBlob(const Digest& digest) const;
  // ReadBlob reads a small blob (config, manifest, index) whole, always checked against its
  // digest. A blob larger than max_size is kResourceExhausted.
  Result<std::string> ReadBlob(const Digest& digest, int64_t max_size = 16 << 20) const;

  // PutImage unpacks the layers of input not yet in a snapshot into committed snapshots named by
  // their chain ids (each layer once, however many images share it; on overlay the layers of one
  // image in parallel), holding everything in lease, and records the image. Errors name the
  // layer; on error nothing is recorded.
  Result<PutImageResult> PutImage(Lease& lease, const ImageInput& input,
                                  const ProgressSink& progress = {});
  // UnpackImage is PutImage without the recording: it returns what Catalog::PutImage takes, so
  // a caller can unpack several images before recording any.
  Result<metadata::NewImage> UnpackImage(Lease& lease, const ImageInput& input,
                                         const ProgressSink& progress = {},
                                         PutImageResult* counts = nullptr);

  // PrepareRootfs makes the active snapshot key on the image's layers (a container's writable
  // rootfs), held with the image's layers by a lease of its own until RemoveRootfs(key).
  Result<PrepareRootfsResult> PrepareRootfs(std::string_view key, const Digest& image_id);
  // RemoveRootfs removes the snapshot key and its lease; the caller has unmounted it.
  Status RemoveRootfs(std::string_view key);

  // DeleteImage removes the image and its names from the catalog, then the snapshots and blobs
  // that nothing holds any more. kConflict when other images are built on it.
  Result<metadata::DeleteResult> DeleteImage(const Digest& id);

  // Gc deletes expired leases and every blob, layer and snapshot that no image and no live lease
  // holds (gc.cc).
  Result<GcReport> Gc();

  // Verify re-hashes every blob and checks that every blob an image needs is present.
  Result<VerifyReport> Verify(const ProgressSink& progress = {});

 private:
  friend class Lease;
  ImageStore(StoreOptions options, content::Store content, UniqueFd lock,
             std::unique_ptr<metadata::Database> db, metadata::Catalog catalog);

  Status OpenSnapshotter();
  Status CleanUp();
  // HoldIn adds resource to the lease lease_id under files_mu_ taken shared.
  Status HoldIn(std::string_view lease_id, const metadata::LeaseResource& resource);
  void DropLease(const std::string& id);
  // LayerSize is the size of the layer whose committed snapshot is chain, or nullopt when there
  // is no such snapshot.
  Result<std::optional<int64_t>> LayerSize(const std::string& chain);
  // CheckLayerBlob checks that a compressed blob new to the catalog unpacks to diff_id.
  Status CheckLayerBlob(const Digest& blob, const Digest& diff_id);
  Status Report(const ProgressSink& sink, const ProgressEvent& event);
  // UnpackContextFor is what unpack.h's functions need to unpack layers held by lease.
  UnpackContext UnpackContextFor(Lease& lease, const ProgressSink& report);
  // RemoveFiles deletes snapshots (in order) and blobs; the caller holds files_mu_ exclusively.
  Status RemoveFiles(const std::vector<std::string>& snapshots, const std::vector<Digest>& blobs,
                     GcReport* report);

  StoreOptions options_;
  int parallelism_ = 1;
  content::Store content_;
  UniqueFd lock_;
  std::unique_ptr<metadata::Database> db_;
  metadata::Catalog catalog_;
  std::unique_ptr<snapshot::Snapshotter> snapshotter_;
  // Shared by Lease::Hold, exclusive while files are deleted: the lock discipline above.
  std::shared_mutex files_mu_;
  std::mutex progress_mu_;  // serialises the calls of progress sinks
};

}  // namespace berth::image::store
