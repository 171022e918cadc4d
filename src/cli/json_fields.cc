#include "cli/json_fields.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

int64_t IntAt(const json& object, std::string_view key, int64_t fallback) {
  const json* v = Find(object, key);
  if (v == nullptr || !v->is_number()) return fallback;
  return v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>();
}

bool BoolAt(const json& object, std::string_view key, bool fallback) {
  const json* v = Find(object, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

std::string StringAt(const json& object, std::string_view key, std::string fallback) {
  const json* v = Find(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : fallback;
}

const json& ObjectAt(const json& object, std::string_view key) {
  static const json* empty = new json(json::object());
  const json* v = Find(object, key);
  return v != nullptr && v->is_object() ? *v : *empty;
}

const json& ArrayAt(const json& object, std::string_view key) {
  static const json* empty = new json(json::array());
  const json* v = Find(object, key);
  return v != nullptr && v->is_array() ? *v : *empty;
}

}  // namespace berth::cli
