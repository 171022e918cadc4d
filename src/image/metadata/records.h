// The values the image catalog (catalog.h) stores and returns: images, layers, names, layer blobs
// and leases. Plain data, copied freely; no I/O. Digests are validated "algorithm:hex" values and
// names are normalised references (image/reference), so a record read back is well-formed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "image/reference/reference.h"

namespace berth::image::metadata {

using Time = std::chrono::system_clock::time_point;

// What a blob is to the image that needs it.
enum class BlobKind { kIndex, kManifest, kConfig, kLayer };

struct BlobRef {
  Digest digest;
  BlobKind kind = BlobKind::kLayer;
  bool operator==(const BlobRef&) const = default;
};

// Target is the manifest or index an image was loaded or pulled through.
struct Target {
  Digest digest;
  std::string media_type;
  bool operator==(const Target&) const = default;
};

// A layer as the caller unpacked it: its diff id, the snapshot that holds the stack up to and
// including it, and the size of its uncompressed tar.
struct LayerInput {
  Digest diff_id;
  std::string snapshot_key;
  int64_t size = 0;
};

// A layer row: one per chain id, shared by every image whose layers start with that stack.
struct LayerRecord {
  Digest chain_id;
  Digest diff_id;
  std::optional<Digest> parent;  // the chain id under it; none for a base layer
  std::string snapshot_key;
  int64_t size = 0;
  bool operator==(const LayerRecord&) const = default;
};

// A layer blob as a manifest lists it (usually compressed) and what is known about it: the diff
// id it unpacks to and the repositories that hold it, so a push can skip or cross-mount it.
struct LayerBlob {
  Digest digest;
  Digest diff_id;
  std::string media_type;
  int64_t size = 0;
  std::vector<std::string> repositories;  // "docker.io/library/busybox"; sorted on read
  bool operator==(const LayerBlob&) const = default;
};

// NewImage is what PutImage records: an image and everything it needs, in one transaction.
struct NewImage {
  Digest id;  // the config digest: docker's image ID
  int64_t config_size = 0;
  std::optional<Target> target;
  std::optional<Time> created;   // the config's "created"
  std::optional<Digest> parent;  // a local image this one was built on
  std::map<std::string, std::string> labels;
  std::vector<LayerInput> layers;  // base first
  // Blobs the image needs besides its config, which is always recorded (kConfig, id).
  std::vector<BlobRef> blobs;
  // Tags and repo digests to point at the image; a tag on another image moves here.
  std::vector<Reference> names;
  // What the loader or puller learnt about the layer blobs, kept for pushes.
  std::vector<LayerBlob> layer_blobs;
};

struct ImageRecord {
  Digest id;
  std::optional<Target> target;
  int64_t config_size = 0;
  std::optional<Time> created;
  Time added;        // when the image was first recorded
  int64_t size = 0;  // the sum of its layers' sizes (docker's Size)
  std::optional<Digest> parent;
  std::map<std::string, std::string> labels;
  std::vector<LayerRecord> layers;  // base first
  std::vector<Reference> tags;      // sorted by their full form
  std::vector<Reference> digests;   // repo digests, sorted by their full form
  std::optional<Time> last_tag_time;
  std::vector<BlobRef> blobs;  // sorted by digest
};

// A name that PutImage or Tag moved from the image it pointed to before.
struct MovedName {
  Reference name;
  Digest from;
};

struct PutResult {
  bool created = false;  // false when the image existed and was added to
  std::vector<MovedName> moved;
};

// What DeleteImage removed and what became unreferenced by it. The caller removes the snapshots
// (in the order given) and deletes the blobs after the call returns; a crash before it does
// leaves garbage that a later GC finds.
struct DeleteResult {
  std::vector<Reference> untagged;  // every name that pointed at the image
  std::vector<LayerRecord> layers;  // layer rows removed, children before parents
  // The snapshots of those rows that no live lease holds, children before parents.
  std::vector<std::string> snapshots;
  std::vector<Digest> blobs;  // the image's blobs that no image and no live lease needs, sorted
};

// ImageFilter selects images as docker's `images` does. Every given condition must hold.
struct ImageFilter {
  // Also images with no names that other images are built on (docker's intermediate images).
  bool all = false;
  // true: images without a tag (docker's `<none>:<none>`) that no image is built on; false: images
  // with a name (a tag or a repo digest).
  std::optional<bool> dangling;
  // "key" (present) or "key=value" (equal); all must match.
  std::vector<std::string> labels;
  // A reference or id prefix, resolved as Catalog::Resolve does: images created strictly
  // before/after it.
  std::optional<std::string> before;
  std::optional<std::string> since;
  // Patterns matched (fnmatch, "*" does not cross "/") against the familiar form of each name and
  // against its familiar repository. When given, an image is listed only when one of its names
  // matches, and only with the names that match.
  std::vector<std::string> references;
};

enum class LeaseResourceKind { kBlob, kLayer, kSnapshot };

// A resource a lease keeps: a blob (digest), a layer (chain id, with the layers under it) or a
// snapshot (key).
struct LeaseResource {
  LeaseResourceKind kind = LeaseResourceKind::kBlob;
  std::string id;
  bool operator==(const LeaseResource&) const = default;
};

struct NewLease {
  std::string id;
  std::optional<Time> expires;  // none: until deleted
  std::map<std::string, std::string> labels;
  std::vector<LeaseResource> resources;  // held from the start, in the same transaction
};

struct LeaseRecord {
  std::string id;
  Time created;
  std::optional<Time> expires;
  std::map<std::string, std::string> labels;
  std::vector<LeaseResource> resources;  // sorted by kind, then id
  bool ExpiredAt(Time now) const { return expires && *expires <= now; }
};

std::string_view BlobKindName(BlobKind kind);
std::string_view LeaseResourceKindName(LeaseResourceKind kind);

}  // namespace berth::image::metadata
