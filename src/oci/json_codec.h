// The JSON machinery of oci/'s codecs (runtime_spec_json.cc, image_spec_json.cc, image_layout.cc)
// and of the codecs of other folders whose documents embed OCI ones (the daemon's container
// records hold an image-spec container config). It holds the one adapter that catches
// nlohmann's exceptions (Parse), typed reads whose errors name the JSON path of the bad property,
// and a struct walker: each struct's properties are listed once, in a Fields overload, and read
// by a Decoder or written by an Encoder. Pure functions over values, thread-safe.
//
// A codec plugs its structs in by declaring, in the struct's namespace with internal linkage
// (static), for each struct S: `template <typename V, Is<S> T> void Fields(V& v, T& s)` that calls
// v("name", s.member[, Emit]) per property, and optionally `berth::Status Check(const S&, const
// std::string& path)` for the checks that run once S is read. A leaf type of its own gets Read,
// IsEmpty and ToJson overloads beside the type. The templates below find all of these by
// argument-dependent lookup, which is why they cannot live in an unnamed namespace.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::oci::json_codec {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// How a property is treated. kOmitEmpty: optional, written only when not absent, empty, false or
// zero (Go's omitempty). kAlways: optional to read, always written. kRequired: must be present and
// not null when read, always written.
enum class Emit { kOmitEmpty, kAlways, kRequired };

// Is<S, T>: S is T, maybe const; lets one Fields overload serve the Decoder and the Encoder.
template <typename S, typename T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

// ---- Paths, errors, parsing, dumping ----

std::string MemberPath(const std::string& path, std::string_view key);  // "a.key" or "key"
std::string ElementPath(const std::string& path, size_t index);         // "a[3]"
std::string KeyPath(const std::string& path, std::string_view key);     // "a[\"key\"]"

// Quote writes s as a JSON string literal, for error messages.
std::string Quote(std::string_view s);

// Describe names a JSON value for an error: numbers by value ("number 1.5"), the rest by type.
std::string Describe(const Json& j);

// DecodeError is kInvalidArgument "path: message" ("message" at the document's root).
Error DecodeError(const std::string& path, std::string message);
// TypeError is DecodeError(path, "expected <expected>, got <got>").
Error TypeError(const std::string& path, std::string_view expected, std::string_view got);

// Parse reads one JSON document; its errors are "invalid JSON at byte N: <reason>".
[[nodiscard]] Result<Json> Parse(std::string_view text);

// ParseDigest is Digest::Parse with the error naming path.
[[nodiscard]] Result<Digest> ParseDigest(const std::string& path, std::string_view text);

// Dump writes json (compact when indent is negative); invalid UTF-8 in a string is replaced
// rather than thrown.
std::string Dump(const OrderedJson& json, int indent = -1, char indent_char = ' ');

// ---- Decoding: Read(j, path, out) reads j into out or names path in its error ----

berth::Status Read(const Json& j, const std::string& path, std::string& out);
berth::Status Read(const Json& j, const std::string& path, bool& out);
berth::Status Read(const Json& j, const std::string& path, Digest& out);
// A set of names is an object whose keys are the names and whose values are empty objects (Go's
// map[string]struct{}); the values' contents are ignored.
berth::Status Read(const Json& j, const std::string& path, std::set<std::string>& out);

// Integers must be JSON integers (no fraction, no exponent) within the range of the C++ field, so
// a uid of 2^32 is an error rather than a silent truncation.
template <Integer T>
berth::Status Read(const Json& j, const std::string& path, T& out) {
  constexpr bool kUnsigned = std::is_unsigned_v<T>;
  auto range_error = [&] {
    return Fail(DecodeError(path, Describe(j) + " is out of range for " +
                                      (kUnsigned ? "an unsigned " : "a signed ") +
                                      std::to_string(sizeof(T) * 8) + "-bit integer"));
  };
  if (j.is_number_unsigned()) {
    uint64_t value = j.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<T>::max())) return range_error();
    out = static_cast<T>(value);
    return Ok();
  }
  if (!j.is_number_integer() || kUnsigned) {
    return Fail(TypeError(path, kUnsigned ? "an unsigned integer" : "an integer", Describe(j)));
  }
  int64_t value = j.get<int64_t>();
  if (value < static_cast<int64_t>(std::numeric_limits<T>::min())) return range_error();
  out = static_cast<T>(value);
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::optional<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::vector<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out);
template <typename T>
requires std::is_class_v<T> berth::Status Read(const Json& j, const std::string& path, T& out);

// Check runs after a struct's properties are read; a codec overloads it for the structs that
// need semantic checks.
template <typename T>
berth::Status Check(const T&, const std::string&) {
  return Ok();
}

// Reads the properties a Fields overload names from one JSON object, stopping at the first error.
// Absent and null properties leave the field at its default, as Go's decoder does.
class Decoder {
 public:
  Decoder(const Json& object, const std::string& path) : object_(object), path_(path) {}

  template <typename T>
  void operator()(std::string_view key, T&& field, Emit emit = Emit::kOmitEmpty) {
    if (!status_) return;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (emit == Emit::kRequired) {
        status_ = Fail(DecodeError(MemberPath(path_, key), "missing required property"));
      }
      return;
    }
    status_ = Read(*it, MemberPath(path_, key), field);
  }

  berth::Status status() && { return std::move(status_); }

 private:
  const Json& object_;
  const std::string& path_;
  berth::Status status_;
};

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::optional<T>& out) {
  T value{};
  BERTH_TRY(Read(j, path, value));
  out = std::move(value);
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::vector<T>& out) {
  if (!j.is_array()) return Fail(TypeError(path, "an array", Describe(j)));
  out.clear();
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T value{};
    BERTH_TRY(Read(j[i], ElementPath(path, i), value));
    out.push_back(std::move(value));
  }
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", Describe(j)));
  out.clear();
  for (const auto& [key, item] : j.items()) {
    T value{};
    BERTH_TRY(Read(item, KeyPath(path, key), value));
    out.emplace(key, std::move(value));
  }
  return Ok();
}

// Structs: an object whose properties Fields names, then the struct's Check.
template <typename T>
requires std::is_class_v<T> berth::Status Read(const Json& j, const std::string& path, T& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", Describe(j)));
  Decoder decoder(j, path);
  Fields(decoder, out);
  BERTH_TRY(std::move(decoder).status());
  return Check(out, path);
}

// DecodeWith parses text and reads the document with `read`; errors are prefixed with
// "<context>: " when context is not empty.
template <typename T>
[[nodiscard]] Result<T> DecodeWith(std::string_view text, std::string_view context,
                                   Result<T> (*read)(const Json&)) {
  Result<Json> json = Parse(text);
  Result<T> value = json ? read(*json) : Result<T>(Fail(std::move(json).error()));
  if (!value && !context.empty()) value.error().Wrap(context);
  return value;
}

template <typename T>
[[nodiscard]] Result<T> ReadDocument(const Json& j) {
  T value{};
  BERTH_TRY(Read(j, "", value));
  return value;
}

// Decode parses text as a T with Read.
template <typename T>
[[nodiscard]] Result<T> Decode(std::string_view text, std::string_view context) {
  return DecodeWith<T>(text, context, &ReadDocument<T>);
}

// ---- Encoding: IsEmpty says whether kOmitEmpty leaves a value out, ToJson writes it ----

inline bool IsEmpty(const std::string& s) { return s.empty(); }
inline bool IsEmpty(bool b) { return !b; }
template <Integer T>
bool IsEmpty(const T& value) {
  return value == 0;
}
template <typename T>
bool IsEmpty(const std::optional<T>& o) {
  return !o.has_value();
}
template <typename T>
bool IsEmpty(const std::vector<T>& v) {
  return v.empty();
}
template <typename T>
bool IsEmpty(const std::set<T>& s) {
  return s.empty();
}
template <typename T>
bool IsEmpty(const std::map<std::string, T>& m) {
  return m.empty();
}
template <typename T>
bool IsEmpty(const T&) {
  return false;  // structs, enums and digests are written whenever their parent is
}

inline OrderedJson ToJson(const std::string& s) { return s; }
inline OrderedJson ToJson(bool b) { return b; }
inline OrderedJson ToJson(const Digest& digest) { return digest.String(); }
OrderedJson ToJson(const std::set<std::string>& names);
template <Integer T>
OrderedJson ToJson(const T& value) {
  return value;
}
template <typename T>
OrderedJson ToJson(const std::optional<T>& o);
template <typename T>
OrderedJson ToJson(const std::vector<T>& v);
template <typename T>
OrderedJson ToJson(const std::map<std::string, T>& m);
template <typename T>
requires std::is_class_v<T> OrderedJson ToJson(const T& value);

// Writes the properties a Fields overload names into one JSON object, in the order named.
class Encoder {
 public:
  template <typename T>
  void operator()(const char* key, const T& field, Emit emit = Emit::kOmitEmpty) {
    if (emit == Emit::kOmitEmpty && IsEmpty(field)) return;
    object_[key] = ToJson(field);
  }

  OrderedJson Take() && { return std::move(object_); }

 private:
  OrderedJson object_ = OrderedJson::object();
};

template <typename T>
OrderedJson ToJson(const std::optional<T>& o) {
  return ToJson(*o);
}

template <typename T>
OrderedJson ToJson(const std::vector<T>& v) {
  OrderedJson array = OrderedJson::array();
  for (const T& item : v) array.push_back(ToJson(item));
  return array;
}

template <typename T>
OrderedJson ToJson(const std::map<std::string, T>& m) {
  OrderedJson object = OrderedJson::object();
  for (const auto& [key, item] : m) object[key] = ToJson(item);
  return object;
}

template <typename T>
requires std::is_class_v<T> OrderedJson ToJson(const T& value) {
  Encoder encoder;
  Fields(encoder, value);
  return std::move(encoder).Take();
}

// Encode writes value as compact JSON.
template <typename T>
std::string Encode(const T& value) {
  return Dump(ToJson(value));
}

// ---- Documents inside other documents ----

// ReadDescriptor is DecodeDescriptor (image_spec_json.h) over an already parsed value, for the
// archive indexes that embed descriptors; defined in image_spec_json.cc, beside their Fields.
[[nodiscard]] Result<Descriptor> ReadDescriptor(const Json& j);
// ReadContainerConfig and ContainerConfigJson are the image config's "config" object
// (image_spec_json.cc), for documents that embed one (docker's container Config extends it).
berth::Status ReadContainerConfig(const Json& j, const std::string& path, ContainerConfig& out);
OrderedJson ContainerConfigJson(const ContainerConfig& config);

}  // namespace berth::oci::json_codec
