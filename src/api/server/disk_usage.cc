#include "api/server/disk_usage.h"

#include <chrono>

#include "api/server/container_json.h"
#include "api/server/volume_json.h"
#include "image/snapshot/tree.h"
#include "image/store/image_views.h"

namespace berth::api::server {
namespace {

using nlohmann::ordered_json;

Result<std::pair<int64_t, ordered_json>> ImagesUsage(daemon::Daemon& daemon) {
  image::store::ImageStore& images = daemon.images();
  daemon::Containers& containers = daemon.containers();
  BERTH_ASSIGN_OR_RETURN(std::vector<image::metadata::ImageRecord> every,
                         images.catalog().ListImages({.all = true}));
  const image::store::LayerSizes sizes = image::store::MeasureLayers(every);
  BERTH_ASSIGN_OR_RETURN(
      std::vector<image::store::ImageSummary> top,
      image::store::List(images, {.users = [&](const Digest& id) { return containers.Users(id); },
                                  .shared_size = true}));
  ordered_json list = ordered_json::array();
  for (const image::store::ImageSummary& summary : top) {
    list.push_back(image::store::SummaryJson(summary));
  }
  return std::pair{sizes.total, std::move(list)};
}

Result<ordered_json> ContainersUsage(daemon::Containers& containers) {
  BERTH_ASSIGN_OR_RETURN(std::vector<daemon::ContainerView> views,
                         containers.List({.all = true, .size = true}));
  const auto now = std::chrono::system_clock::now();
  ordered_json list = ordered_json::array();
  for (const daemon::ContainerView& view : views) list.push_back(SummaryJson(view, now));
  return list;
}

ordered_json VolumesUsage(volume::Volumes& volumes) {
  ordered_json list = ordered_json::array();
  for (const volume::VolumeView& v : volumes.List()) {
    Result<image::snapshot::DiskUsage> usage = image::snapshot::MeasureTree(v.volume.mountpoint);
    ordered_json json = VolumeJson(v.volume);
    json["UsageData"] = {{"RefCount", v.users.size()}, {"Size", usage ? usage->bytes : -1}};
    list.push_back(std::move(json));
  }
  return list;
}

}  // namespace

Result<std::set<std::string>> DiskUsageObjects(const std::vector<std::string>& types) {
  static const std::set<std::string> kAll = {"container", "image", "volume", "build-cache"};
  if (types.empty()) return kAll;
  std::set<std::string> objects;
  for (const std::string& type : types) {
    if (!kAll.contains(type)) {
      return Fail(ErrorKind::kInvalidArgument, "unknown object type: " + type);
    }
    objects.insert(type);
  }
  return objects;
}

Result<ordered_json> DiskUsageJson(daemon::Daemon& daemon, const std::set<std::string>& objects) {
  ordered_json out;
  if (objects.contains("image")) {
    BERTH_ASSIGN_OR_RETURN(auto images, ImagesUsage(daemon));
    if (images.first != 0) out["LayersSize"] = images.first;
    out["Images"] = std::move(images.second);
  } else {
    out["Images"] = nullptr;
  }
  if (objects.contains("container")) {
    BERTH_ASSIGN_OR_RETURN(out["Containers"], ContainersUsage(daemon.containers()));
  } else {
    out["Containers"] = nullptr;
  }
  out["Volumes"] = objects.contains("volume") ? VolumesUsage(daemon.volumes()) : nullptr;
  out["BuildCache"] = objects.contains("build-cache") ? ordered_json::array() : nullptr;
  return out;
}

}  // namespace berth::api::server
