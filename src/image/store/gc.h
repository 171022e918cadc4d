// Garbage collection of the image store: ImageStore::Gc (gc.cc) marks from the catalog's plan
// (metadata/gc.h: what images and live leases hold) and deletes the snapshots and blobs nothing
// holds, under the store's lock held exclusively. This header holds its report and the pure
// ordering it needs; thread-safe values and functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/digest.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::store {

struct GcReport {
  std::vector<std::string> expired_leases;  // deleted
  int64_t layers = 0;                       // layer rows deleted
  std::vector<std::string> snapshots;       // snapshots removed, in the order removed
  std::vector<Digest> blobs;                // blobs deleted
  int64_t bytes = 0;                        // what the removed blobs and snapshots occupied
};

// ChildrenFirst returns the keys of snapshots ordered so that every snapshot comes before its
// parent: the order in which they can be removed. Keys of equal depth keep their relative order.
std::vector<std::string> ChildrenFirst(const std::vector<snapshot::Info>& snapshots);

}  // namespace berth::image::store
