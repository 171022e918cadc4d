// URL decoding for request targets as Go's net/url does it, so that paths and queries mean here
// what they mean to dockerd: %XX escapes in paths, and in queries also '+' for a space, key=value
// pairs split on '&'. Pure functions; thread-safe. Malformed input is kInvalidArgument.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::http {

using QueryValues = std::multimap<std::string, std::string>;

// DecodePath undoes %XX escapes ("%2F" → "/"); '+' stays itself.
Result<std::string> DecodePath(std::string_view escaped);
// DecodeQueryComponent undoes %XX escapes and reads '+' as a space.
Result<std::string> DecodeQueryComponent(std::string_view escaped);
// ParseQuery reads "a=1&b=x+y&c" into {a: "1", b: "x y", c: ""}; empty pairs are skipped, a ';'
// separator is refused (as Go 1.17 and later refuse it).
Result<QueryValues> ParseQuery(std::string_view query);

}  // namespace berth::http
