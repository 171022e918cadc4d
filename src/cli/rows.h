// The rows of docker's image and container tables, shared by docker images, docker ps and
// docker system df -v: each field of docker's formatter contexts by name (for --format and the
// table's columns) and the column headers. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace berth::cli {

// ImageRows expands one ImageSummary into its rows as docker does: a row per tag (per tag and
// digest with digests), then rows for repositories known only by digest; "<none>" for a
// dangling one. trunc shortens the id.
std::vector<nlohmann::ordered_json> ImageRows(const nlohmann::ordered_json& image, bool digests,
                                              bool trunc);
const nlohmann::ordered_json& ImageHeaders();

// ContainerRow is one ContainerSummary as docker ps shows it; trunc shortens ids, commands and
// mount names as docker does without --no-trunc.
nlohmann::ordered_json ContainerRow(const nlohmann::ordered_json& c, bool trunc);
const nlohmann::ordered_json& ContainerHeaders();

}  // namespace berth::cli
