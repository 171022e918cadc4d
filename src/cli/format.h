// Output formatting as docker's CLI does it: Go's tabwriter (for tables), --format handling
// (the "table" directive, "json", \t and \n escapes, a header row named per field), docker's
// human durations ("2 hours ago") and truncated ids. Pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace berth::cli {

// TabWriter aligns tab-separated cells as Go's text/tabwriter does with docker's settings
// (minwidth 10, tabwidth 1, padding 3, spaces, no flags): each tab-terminated cell is padded to
// the widest cell of its column block; a line's last cell (not tab-terminated) is not aligned.
std::string TabWrite(std::string_view text, int min_width = 10, int padding = 3);

// HumanDuration renders a duration as docker's go-units does: "Less than a second",
// "About a minute", "3 hours", "2 weeks", ...
std::string HumanDuration(std::chrono::seconds duration);
// TimeAgo is HumanDuration(now - t) + " ago" (docker's "CREATED" column).
std::string TimeAgo(int64_t unix_seconds);
// GoTimeString renders a unix time as Go's time.Time.String() in the local zone
// ("2024-01-02 15:04:05 +0100 CET").
std::string GoTimeString(int64_t unix_seconds);
// TruncateId drops an "algo:" prefix and keeps 12 characters.
std::string TruncateId(std::string_view id);

// A --format value resolved: docker's "table" directive and its escapes.
struct OutputFormat {
  bool table = false;
  std::string body;  // the template text, "\t" and "\n" escapes replaced
};

// ParseFormat resolves a --format value: "" is default_table, "table" alone is default_table,
// "json" is {{json .}}, "table X" is a table of X, anything else a raw template.
OutputFormat ParseFormat(std::string_view format, std::string_view default_table);

// RenderRows executes the format for each row (one line each); a table gets a header line made by
// executing the template over headers (field name → column title) and is aligned by TabWrite.
// strict_fields makes an unknown field an error, as docker's typed contexts do.
Result<std::string> RenderRows(const OutputFormat& format,
                               const std::vector<nlohmann::ordered_json>& rows,
                               const nlohmann::ordered_json& headers, bool strict_fields = true);

}  // namespace berth::cli
