// GET /system/df: docker's DiskUsage (moby api/swagger.yaml, SystemDataUsageResponse) over the
// daemon: LayersSize (every image layer counted once), Images (the top-level images with their
// SharedSize and Containers), Containers (all, with SizeRw and SizeRootFs), Volumes (each with
// UsageData {Size: the bytes under its directory, or -1 when they cannot be counted; RefCount:
// the containers referencing it}) and BuildCache (always empty: berthd keeps no build cache).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/daemon.h"

namespace berth::api::server {

// DiskUsageObjects reads the `type` parameters (API 1.42+): container, image, volume,
// build-cache; none given (or an older API) means all. kInvalidArgument "unknown object type: x".
Result<std::set<std::string>> DiskUsageObjects(const std::vector<std::string>& types);

// DiskUsageJson measures the objects asked for; the others are null, as docker leaves them.
Result<nlohmann::ordered_json> DiskUsageJson(daemon::Daemon& daemon,
                                             const std::set<std::string>& objects);

}  // namespace berth::api::server
