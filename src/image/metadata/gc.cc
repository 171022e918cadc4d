#include "image/metadata/gc.h"

#include <algorithm>
#include <map>

namespace berth::image::metadata {
namespace {

// OrderChildrenFirst sorts layer rows so that each comes before the row it is stacked on.
void OrderChildrenFirst(std::vector<LayerRecord>& layers) {
  std::map<std::string, const LayerRecord*> by_chain;
  for (const LayerRecord& layer : layers) by_chain[layer.chain_id.String()] = &layer;
  // The depth of a row among the given rows: a row is deeper than every row it is stacked on.
  std::map<std::string, int> depth;
  for (const LayerRecord& layer : layers) {
    int d = 0;
    for (const LayerRecord* at = &layer; at->parent;) {
      auto it = by_chain.find(at->parent->String());
      if (it == by_chain.end()) break;
      at = it->second;
      ++d;
    }
    depth[layer.chain_id.String()] = d;
  }
  std::stable_sort(layers.begin(), layers.end(), [&](const LayerRecord& a, const LayerRecord& b) {
    return depth.at(a.chain_id.String()) > depth.at(b.chain_id.String());
  });
}

}  // namespace

LiveSet ComputeLive(const GcGraph& graph, Time now) {
  LiveSet live;
  std::vector<std::string> roots;
  for (const Digest& d : graph.image_blobs) live.blobs.insert(d.String());
  for (const Digest& d : graph.image_chain_ids) roots.push_back(d.String());
  for (const LeaseRecord& lease : graph.leases) {
    if (lease.ExpiredAt(now)) continue;
    for (const LeaseResource& r : lease.resources) {
      switch (r.kind) {
        case LeaseResourceKind::kBlob:
          live.blobs.insert(r.id);
          break;
        case LeaseResourceKind::kLayer:
          roots.push_back(r.id);
          break;
        case LeaseResourceKind::kSnapshot:
          live.snapshots.insert(r.id);
          break;
      }
    }
  }
  std::map<std::string, const LayerRecord*> by_chain;
  for (const LayerRecord& layer : graph.layers) by_chain[layer.chain_id.String()] = &layer;
  // Walk down from each root; a chain id already live has had its ancestors marked.
  for (const std::string& root : roots) {
    std::string chain = root;
    while (live.chain_ids.insert(chain).second) {
      auto it = by_chain.find(chain);
      if (it == by_chain.end()) break;  // a lease may hold a layer not recorded yet
      live.snapshots.insert(it->second->snapshot_key);
      if (!it->second->parent) break;
      chain = it->second->parent->String();
    }
  }
  return live;
}

std::vector<LayerRecord> DeadLayers(const GcGraph& graph, const LiveSet& live) {
  std::vector<LayerRecord> dead;
  for (const LayerRecord& layer : graph.layers) {
    if (!live.chain_ids.contains(layer.chain_id.String())) dead.push_back(layer);
  }
  OrderChildrenFirst(dead);
  return dead;
}

GcPlan PlanGc(const GcGraph& graph, const GcInputs& inputs, Time now) {
  const LiveSet live = ComputeLive(graph, now);
  GcPlan plan;
  for (const LeaseRecord& lease : graph.leases) {
    if (lease.ExpiredAt(now)) plan.expired_leases.push_back(lease.id);
  }
  std::sort(plan.expired_leases.begin(), plan.expired_leases.end());
  plan.layers = DeadLayers(graph, live);
  const std::set<std::string> present(inputs.snapshots.begin(), inputs.snapshots.end());
  std::set<std::string> planned;
  for (const LayerRecord& layer : plan.layers) {
    const std::string& key = layer.snapshot_key;
    if (present.contains(key) && !live.snapshots.contains(key) && planned.insert(key).second) {
      plan.snapshots.push_back(key);
    }
  }
  for (const std::string& key : inputs.snapshots) {
    if (!live.snapshots.contains(key) && planned.insert(key).second) plan.snapshots.push_back(key);
  }
  for (const Digest& blob : inputs.blobs) {
    if (!live.blobs.contains(blob.String())) plan.blobs.push_back(blob);
  }
  return plan;
}

}  // namespace berth::image::metadata
