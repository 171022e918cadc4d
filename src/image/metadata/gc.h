// Garbage collection of images' blobs, layers and snapshots, planned as data: ComputeLive finds
// what images and unexpired leases hold, PlanGc lists the rest. Pure functions over values read
// from the catalog; thread-safe. The catalog (Catalog::PlanGc, Catalog::CommitGc) loads the graph
// in one transaction; the image store deletes the files.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/digest.h"
#include "image/metadata/records.h"

namespace berth::image::metadata {

// GcGraph is every reference the catalog holds.
struct GcGraph {
  std::vector<Digest> image_blobs;      // each blob some image needs
  std::vector<Digest> image_chain_ids;  // each chain id some image stacks
  std::vector<LayerRecord> layers;      // every layer row
  std::vector<LeaseRecord> leases;      // every lease, expired or not
};

// GcInputs is what exists on disk: the content store's blobs and the snapshotters' keys.
struct GcInputs {
  std::vector<Digest> blobs;
  std::vector<std::string> snapshots;
};

// LiveSet holds the string forms of what must stay.
struct LiveSet {
  std::set<std::string> blobs;      // digests
  std::set<std::string> chain_ids;  // layer rows
  std::set<std::string> snapshots;  // keys
};

struct GcPlan {
  std::vector<std::string> expired_leases;  // sorted
  // Layer rows nothing holds any more, children before parents.
  std::vector<LayerRecord> layers;
  // Snapshots present that no kept layer row and no live lease holds: first those of `layers`
  // (children before parents), then the others in the order of GcInputs::snapshots.
  std::vector<std::string> snapshots;
  // Blobs present that no image and no live lease holds, in the order of GcInputs::blobs.
  std::vector<Digest> blobs;
};

// ComputeLive: a blob is live when an image needs it or an unexpired lease holds it; a layer row
// when an image stacks it or an unexpired lease holds it or a live layer is stacked on it; a
// snapshot when it holds a live layer row or an unexpired lease holds it. A lease is expired when
// its expiry is at or before now.
LiveSet ComputeLive(const GcGraph& graph, Time now);

// PlanGc lists what is not live: the garbage among the layer rows of graph and among inputs.
GcPlan PlanGc(const GcGraph& graph, const GcInputs& inputs, Time now);

// DeadLayers returns the layer rows of graph that are not live, each before the row it is
// stacked on: the order in which rows and snapshots can be deleted.
std::vector<LayerRecord> DeadLayers(const GcGraph& graph, const LiveSet& live);

}  // namespace berth::image::metadata
