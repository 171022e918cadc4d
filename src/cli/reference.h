// Image names as docker's CLI sends them (distribution/reference): "bb:1" is repository
// "docker.io/library/bb" with tag "1"; a first component with a '.' or ':' (or "localhost") is a
// registry. Pure functions.
#pragma once

#include <string>
#include <utility>

#include "base/result.h"

namespace berth::cli {

// SplitRepoTag splits "repo:tag" at the last ':' after the last '/' (tag "" when none).
std::pair<std::string, std::string> SplitRepoTag(const std::string& name);

struct NamedTag {
  std::string repository;  // normalized: "docker.io/library/bb"
  std::string familiar;    // as docker shows it: "bb", "team/bb", "reg:5000/team/bb"
  std::string tag;         // "" when the name has none
};

// ParseNamed normalizes a name with an optional tag; a digest, upper-case letters or an empty
// name are kInvalidArgument in docker's words.
Result<NamedTag> ParseNamed(const std::string& name);

}  // namespace berth::cli
