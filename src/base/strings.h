// Small string helpers shared by every layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth {

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view TrimSpace(std::string_view s);

// SetEnv puts a "NAME=value" entry into an environment list: it replaces the entry of the same
// name, or is appended.
void SetEnv(std::vector<std::string>& env, const std::string& entry);

// ParseUint64/ParseInt64 accept the whole string in base 10 and nothing else.
Result<uint64_t> ParseUint64(std::string_view s);
Result<int64_t> ParseInt64(std::string_view s);

// HumanSize writes bytes in decimal units as docker does (units.HumanSizeWithPrecision): "0B",
// "512B", "4.403MB" with precision 4.
std::string HumanSize(int64_t bytes, int precision = 4);

// FormatRfc3339Nano renders a UTC time as Go's time.RFC3339Nano does
// ("2006-01-02T15:04:05.999999999Z").
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t);

// Base64Encode and Base64Decode use the standard alphabet with padding (RFC 4648 section 4, Go's
// base64.StdEncoding). Decoding refuses other characters and bad padding (kInvalidArgument).
std::string Base64Encode(std::string_view data);
Result<std::string> Base64Decode(std::string_view text);
// Base64UrlEncode writes base64url (RFC 4648 section 5) with padding, as Go's
// base64.URLEncoding (docker's X-Registry-Auth); a JWT's segments drop the padding.
std::string Base64UrlEncode(std::string_view data);
// Base64UrlDecode reads base64url (RFC 4648 section 5), padded or not, as JWTs and docker's
// X-Registry-Auth carry it; the standard alphabet's '+' and '/' are accepted too.
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace berth
