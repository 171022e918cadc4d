#include "image/store/gc.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "base/log.h"
#include "image/store/image_store.h"

namespace berth::image::store {

std::vector<std::string> ChildrenFirst(const std::vector<snapshot::Info>& snapshots) {
  std::map<std::string, std::string> parent_of;
  for (const snapshot::Info& info : snapshots) parent_of[info.name] = info.parent;
  std::vector<std::pair<size_t, std::string>> by_depth;
  for (const snapshot::Info& info : snapshots) {
    size_t depth = 0;
    // Bounded by the number of snapshots, so a cycle (a damaged table) cannot loop forever.
    for (std::string at = info.parent; !at.empty() && depth < snapshots.size(); ++depth) {
      auto it = parent_of.find(at);
      if (it == parent_of.end()) break;
      at = it->second;
    }
    by_depth.emplace_back(depth, info.name);
  }
  std::stable_sort(by_depth.begin(), by_depth.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> keys;
  for (auto& [depth, key] : by_depth) keys.push_back(std::move(key));
  return keys;
}

Status ImageStore::RemoveFiles(const std::vector<std::string>& snapshots,
                               const std::vector<Digest>& blobs, GcReport* report) {
  Status first = Ok();
  auto keep_first = [&first](Error error) {
    log::Warn("image store: {}", error.message());
    if (first) first = Fail(std::move(error));
  };
  for (const std::string& key : snapshots) {
    Result<snapshot::DiskUsage> usage = snapshotter_->Usage(key);
    Status removed = snapshotter_->Remove(key);
    if (!removed && removed.error().kind() == ErrorKind::kNotFound) continue;
    if (!removed) {
      keep_first(std::move(removed).error());
      continue;
    }
    report->snapshots.push_back(key);
    if (usage) report->bytes += usage->bytes;
  }
  for (const Digest& digest : blobs) {
    Result<content::Info> info = content_.Stat(digest);
    Status deleted = content_.Delete(digest);
    if (!deleted && deleted.error().kind() == ErrorKind::kNotFound) continue;
    if (!deleted) {
      keep_first(std::move(deleted).error());
      continue;
    }
    report->blobs.push_back(digest);
    if (info) report->bytes += info->size;
  }
  return first;
}

Result<GcReport> ImageStore::Gc() {
  std::unique_lock lock(files_mu_);
  metadata::GcInputs inputs;
  BERTH_ASSIGN_OR_RETURN(inputs.blobs, Annotate(content_.List(), "gc"));
  std::vector<snapshot::Info> infos;
  BERTH_TRY(Annotate(snapshotter_->Walk([&](const snapshot::Info& info) -> Status {
    infos.push_back(info);
    return Ok();
  }),
                     "gc"));
  inputs.snapshots = ChildrenFirst(infos);
  BERTH_ASSIGN_OR_RETURN(metadata::GcPlan plan, Annotate(catalog_.CommitGc(inputs), "gc"));
  GcReport report{.expired_leases = plan.expired_leases,
                  .layers = static_cast<int64_t>(plan.layers.size())};
  BERTH_TRY(Annotate(RemoveFiles(plan.snapshots, plan.blobs, &report), "gc"));
  return report;
}

Result<metadata::DeleteResult> ImageStore::DeleteImage(const Digest& id) {
  std::unique_lock lock(files_mu_);
  BERTH_ASSIGN_OR_RETURN(metadata::DeleteResult deleted, catalog_.DeleteImage(id));
  GcReport removed;
  BERTH_TRY(Annotate(RemoveFiles(deleted.snapshots, deleted.blobs, &removed),
                     fmt::format("delete image {}", id.String())));
  return deleted;
}

}  // namespace berth::image::store
