// Tar entry names made safe to join to a layer directory. A name is cleaned lexically, before any
// lookup: "./a//b/" → "a/b", "a/./b/../c" → "a/c". A leading "/" is dropped, as GNU tar and
// docker do: a layer's names are relative to the layer root whatever their form. A name whose ".."
// climbs above the root is refused, never clamped. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::image::layer {

// CleanEntryName returns the cleaned name; "" stands for the layer root itself ("", ".", "/",
// "./"). kInvalidArgument "path leaves the layer" when ".." climbs above the root.
Result<std::string> CleanEntryName(std::string_view name);

// SplitName splits a cleaned, non-empty name into its parent ("" for the root) and last component:
// "a/b/c" → {"a/b", "c"}.
struct SplitPath {
  std::string_view parent;
  std::string_view base;
};
SplitPath SplitName(std::string_view clean_name);

// QuoteName renders a raw entry name for an error message: in double quotes, with quotes,
// backslashes and control bytes escaped, and cut after 256 bytes.
std::string QuoteName(std::string_view name);

}  // namespace berth::image::layer
