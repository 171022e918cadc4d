// docker's Volume JSON shape (moby api/swagger.yaml Volume), shared by the volume endpoints and
// system df. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include "volume/volume.h"

namespace berth::api::server {

// VolumeJson is a volume as docker lists and inspects it (no UsageData).
nlohmann::ordered_json VolumeJson(const volume::Volume& v);

}  // namespace berth::api::server
