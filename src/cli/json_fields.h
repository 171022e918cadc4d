// Reading fields of the daemon's JSON without trusting its shapes: a missing field, null or a
// value of another type gives the fallback (nlohmann's value() would throw on null).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::cli {

int64_t IntAt(const nlohmann::ordered_json& object, std::string_view key, int64_t fallback = 0);
bool BoolAt(const nlohmann::ordered_json& object, std::string_view key, bool fallback = false);
std::string StringAt(const nlohmann::ordered_json& object, std::string_view key,
                     std::string fallback = "");
// ObjectAt and ArrayAt return the field, or an empty object/array.
const nlohmann::ordered_json& ObjectAt(const nlohmann::ordered_json& object, std::string_view key);
const nlohmann::ordered_json& ArrayAt(const nlohmann::ordered_json& object, std::string_view key);

}  // namespace berth::cli
