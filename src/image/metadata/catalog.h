// The image catalog: images, their names (tags and repo digests), layers (by chain id), the blobs
// they need, what is known about layer blobs for pushes, and leases, all in the metadata database
// (tables in schema.cc). Every mutating call is one transaction, so a crash at any point leaves
// the catalog consistent; files (blobs, snapshots) are the caller's, deleted after the call that
// reports them returns. Thread-safety: a Catalog may be used from several threads (the Database
// serialises them); it borrows the Database, which must outlive it.
//
// Errors: kNotFound names what is missing ("no such image: busybox"), kConflict for an ambiguous
// id prefix or a refused change, kInvalidArgument for malformed input, kDataLoss for damaged rows,
// and the database's kinds (kUnavailable when another process holds the lock too long).
//
// Holders other than images (a pull in progress, a build, a container) keep blobs, layers and
// snapshots alive with leases, adding a resource to their lease before they write it or rely on
// finding it. Deleting what a call reports still races with a writer that adopts an existing file
// in between: the image store deletes files while holding the lock its writers take.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/metadata/database.h"
#include "image/metadata/gc.h"
#include "image/metadata/records.h"
#include "image/reference/reference.h"

namespace berth::image::metadata {

struct CatalogOptions {
  // The time of writes and of lease expiry; tests set it.
  std::function<Time()> clock = [] { return std::chrono::system_clock::now(); };
};

class Catalog {
 public:
  // Open applies the catalog's migrations to db and returns a catalog over it.
  static Result<Catalog> Open(Database& db, CatalogOptions options = {});

  // PutImage records image with its layers (their chain ids computed here), blobs, labels, names
  // and layer blobs in one transaction. A layer row that exists already is kept, with its own
  // snapshot key: the caller's snapshot then stays held only by the caller's lease. An image that
  // exists is added to (names, blobs, target); its layers must be the same (kConflict otherwise).
  // A missing parent image is kNotFound; a snapshot key that holds another chain is kAlreadyExists.
  Result<PutResult> PutImage(const NewImage& image);

  Result<ImageRecord> GetImage(const Digest& id) const;  // kNotFound
  // Resolve finds an image as docker does: a full id ("sha256:<hex>" or the 64 hex digits), then
  // a reference (normalised, "latest" when it has neither tag nor digest), then a unique prefix of
  // an id's hex ("sha256:" optional). A prefix of several ids is kConflict; nothing is kNotFound
  // naming ref_or_id; a string that is neither a reference nor a prefix is kInvalidArgument.
  Result<ImageRecord> Resolve(std::string_view ref_or_id) const;
  // ListImages returns the images filter selects, the most recently created first.
  Result<std::vector<ImageRecord>> ListImages(const ImageFilter& filter = {}) const;
  // Children returns the images built on id, sorted.
  Result<std::vector<Digest>> Children(const Digest& id) const;
  // DeleteImage removes the image and every name pointing at it, then every layer row nothing
  // holds any more (also rows that only an expired lease held); to decide, it reads every
  // reference, as GC does. An image other images are built on is kConflict.
  Result<DeleteResult> DeleteImage(const Digest& id);

  // Tag points name (a tag, or a repo digest "name@digest"; not both) at image_id, moving it from
  // the image it pointed at before, whose id it returns (nullopt when it was new or unchanged).
  Result<std::optional<Digest>> Tag(const Reference& name, const Digest& image_id);
  // Untag removes name and returns the image it pointed at (kNotFound when no image has the
  // name); the image itself stays, dangling when that was its last tag.
  Result<Digest> Untag(const Reference& name);

  Result<LayerRecord> GetLayer(const Digest& chain_id) const;  // kNotFound

  // RecordLayerBlob adds what is known of a layer blob: its row, and its repositories to those
  // known. The same digest recorded with another diff id is kConflict.
  Status RecordLayerBlob(const LayerBlob& blob);
  // LayerBlobs returns the known blobs whose content is diff_id, sorted by digest.
  Result<std::vector<LayerBlob>> LayerBlobs(const Digest& diff_id) const;

  // CreateLease makes a lease (kAlreadyExists when the id is taken), created now.
  Status CreateLease(const NewLease& lease);
  Result<LeaseRecord> GetLease(std::string_view id) const;  // kNotFound
  Result<std::vector<LeaseRecord>> ListLeases() const;      // sorted by id
  // DeleteLease removes the lease; what it held becomes garbage unless something else holds it.
  Status DeleteLease(std::string_view id);
  // AddLeaseResource makes the lease hold resource (idempotent). An expired lease is
  // kFailedPrecondition: a GC may already have planned to delete what it would hold. A blob or
  // layer id that is not a digest is kInvalidArgument.
  Status AddLeaseResource(std::string_view lease_id, const LeaseResource& resource);
  // RemoveLeaseResource stops the lease holding resource (idempotent; kNotFound for no lease).
  Status RemoveLeaseResource(std::string_view lease_id, const LeaseResource& resource);

  // PlanGc computes, in one read transaction, what GC would delete now; it changes nothing.
  Result<GcPlan> PlanGc(const GcInputs& inputs) const;
  // CommitGc computes the plan in one write transaction and deletes its expired leases and layer
  // rows there; the caller then removes the plan's snapshots and blobs.
  Result<GcPlan> CommitGc(const GcInputs& inputs);

 private:
  Catalog(Database* db, CatalogOptions options) : db_(db), options_(std::move(options)) {}

  Database* db_;
  CatalogOptions options_;
};

}  // namespace berth::image::metadata
