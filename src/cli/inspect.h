// docker inspect's output for any kind of object: the objects found as one JSON array indented
// by four spaces (or each through --format), then the errors of the names not found.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cli/cli.h"

namespace berth::cli {

using InspectFetch = std::function<Result<nlohmann::ordered_json>(const std::string& name)>;

// InspectEach fetches each name and prints the results; the errors (one per line) are returned
// as one Error after the output, as docker does.
Result<int> InspectEach(Cli& cli, const std::vector<std::string>& names, const std::string& format,
                        const InspectFetch& fetch);

// IndentJson renders values as docker's inspect does: "[", each value indented by four spaces,
// "]" ("[]" when there are none).
std::string IndentJson(const std::vector<nlohmann::ordered_json>& values);

}  // namespace berth::cli
