// Where streamed responses go: stdout, or a file that appears only once whole (docker's
// CopyToFile), and the resource usage row docker stats prints for one stats sample.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/client.h"

namespace berth::cli {

// CopyStream copies a response body to fd.
Status CopyStream(client::ResponseStream& stream, int fd);
// StreamToOutput copies a body to stdout ("" output) or into the file output through a temporary
// file beside it, renamed into place once complete.
Result<int> StreamToOutput(client::ResponseStream& stream, const std::string& output);

// StatsRow computes docker stats' columns from one sample of GET /containers/{id}/stats
// (CPU % from the delta to the previous sample, memory without the inactive page cache).
nlohmann::ordered_json StatsRow(const nlohmann::ordered_json& stats, const std::string& container,
                                bool trunc);
// BytesSize is go-units' BytesSize: binary units, four significant digits ("23.54GiB").
std::string BytesSize(double size);

}  // namespace berth::cli
