#include "oci/image_spec_json.h"

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace berth::oci {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// kRequired properties must be present (and not null) when decoding and are always written;
// kAlways properties are optional to read but always written (arrays the specs make REQUIRED yet
// Go writers omit); everything else is omitted when absent, empty, false or zero.
enum class Emit { kOmitEmpty, kAlways, kRequired };

template <typename S, typename T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

// Descriptor "data" is bytes in the model and base64 (RFC 4648 section 4, padded) in JSON; this
// wrapper selects that encoding for one field. Bytes is std::optional<std::string>, maybe const.
template <typename Bytes>
struct Base64Field {
  Bytes& bytes;
};
template <typename Bytes>
Base64Field(Bytes&) -> Base64Field<Bytes>;

// Docker reads Entrypoint, Cmd and Shell as a strslice: an array of strings, or a single string
// taking the place of a one-element array. List is std::vector<std::string> or an optional of one,
// maybe const. Encoding always writes an array.
template <typename List>
struct StrSliceField {
  List& list;
};
template <typename List>
StrSliceField(List&) -> StrSliceField<List>;

// A media type property must have RFC 6838 syntax; a document's own mediaType must also be one of
// the types `accepts` allows (`what` names them in the error). Str is std::string, maybe const.
template <typename Str>
struct MediaTypeField {
  Str& value;
  bool (*accepts)(std::string_view) = nullptr;
  const char* what = "";
};
template <typename Str>
MediaTypeField(Str&) -> MediaTypeField<Str>;
template <typename Str>
MediaTypeField(Str&, bool (*)(std::string_view), const char*) -> MediaTypeField<Str>;

// schemaVersion is checked as soon as it is read, so a schema 1 manifest is reported as such
// rather than as a manifest without a config. Int is int, maybe const.
template <typename Int>
struct SchemaVersionField {
  Int& version;
};
template <typename Int>
SchemaVersionField(Int&) -> SchemaVersionField<Int>;

// Each Fields overload lists the JSON properties of one struct in the order the Go reference
// types declare them. It runs with a Decoder (reading into a mutable struct) or an Encoder
// (writing from a const one), so the names are spelled once for both directions.

template <typename V, Is<Platform> S>
void Fields(V& v, S& s) {
  v("architecture", s.architecture, Emit::kRequired);
  v("os", s.os, Emit::kRequired);
  v("os.version", s.os_version);
  v("os.features", s.os_features);
  v("variant", s.variant);
}

template <typename V, Is<Descriptor> S>
void Fields(V& v, S& s) {
  v("mediaType", MediaTypeField{s.media_type}, Emit::kRequired);
  v("digest", s.digest, Emit::kRequired);
  v("size", s.size, Emit::kRequired);
  v("urls", s.urls);
  v("annotations", s.annotations);
  v("data", Base64Field{s.data});
  v("platform", s.platform);
  v("artifactType", MediaTypeField{s.artifact_type});
}

template <typename V, Is<Manifest> S>
void Fields(V& v, S& s) {
  v("schemaVersion", SchemaVersionField{s.schema_version}, Emit::kRequired);
  v("mediaType", MediaTypeField{s.media_type, &IsManifestMediaType, "an image manifest"});
  v("artifactType", MediaTypeField{s.artifact_type});
  v("config", s.config, Emit::kRequired);
  v("layers", s.layers, Emit::kAlways);
  v("subject", s.subject);
  v("annotations", s.annotations);
}

template <typename V, Is<Index> S>
void Fields(V& v, S& s) {
  v("schemaVersion", SchemaVersionField{s.schema_version}, Emit::kRequired);
  v("mediaType", MediaTypeField{s.media_type, &IsIndexMediaType, "an index"});
  v("artifactType", MediaTypeField{s.artifact_type});
  v("manifests", s.manifests, Emit::kAlways);
  v("subject", s.subject);
  v("annotations", s.annotations);
}

template <typename V, Is<Healthcheck> S>
void Fields(V& v, S& s) {
  v("Test", s.test);
  v("Interval", s.interval_ns);
  v("Timeout", s.timeout_ns);
  v("StartPeriod", s.start_period_ns);
  v("StartInterval", s.start_interval_ns);
  v("Retries", s.retries);
}

template <typename V, Is<ContainerConfig> S>
void Fields(V& v, S& s) {
  v("User", s.user);
  v("ExposedPorts", s.exposed_ports);
  v("Env", s.env);
  v("Cmd", StrSliceField{s.cmd});
  v("Healthcheck", s.healthcheck);
  v("ArgsEscaped", s.args_escaped);
  v("Volumes", s.volumes);
  v("WorkingDir", s.working_dir);
  v("Entrypoint", StrSliceField{s.entrypoint});
  v("OnBuild", s.on_build);
  v("Labels", s.labels);
  v("StopSignal", s.stop_signal);
  v("Shell", StrSliceField{s.shell});
}

template <typename V, Is<RootFs> S>
void Fields(V& v, S& s) {
  v("type", s.type, Emit::kRequired);
  v("diff_ids", s.diff_ids, Emit::kAlways);
}

template <typename V, Is<History> S>
void Fields(V& v, S& s) {
  v("created", s.created);
  v("created_by", s.created_by);
  v("author", s.author);
  v("comment", s.comment);
  v("empty_layer", s.empty_layer);
}

template <typename V, Is<ImageConfig> S>
void Fields(V& v, S& s) {
  v("created", s.created);
  v("author", s.author);
  v("architecture", s.architecture, Emit::kAlways);
  v("os", s.os, Emit::kAlways);
  v("os.version", s.os_version);
  v("os.features", s.os_features);
  v("variant", s.variant);
  v("config", s.config);
  v("rootfs", s.rootfs, Emit::kRequired);
  v("history", s.history);
}

// ---- Semantic checks, run on each struct once its properties are read ----

std::string MemberPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

Error DecodeError(const std::string& path, std::string message) {
  return Error(ErrorKind::kInvalidArgument, path.empty() ? message : path + ": " + message);
}

// Quote writes s as a JSON string literal, for error messages.
std::string Quote(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// IsRfc3339 accepts RFC 3339 section 5.6 date-times as Go's time.RFC3339 parses them:
// "2024-02-29T13:04:05Z", "2024-02-29T13:04:05.123456789+01:00".
bool IsRfc3339(std::string_view s) {
  auto number = [&](size_t pos, size_t digits, int lo, int hi) -> std::optional<int> {
    if (pos + digits > s.size()) return std::nullopt;
    int value = 0;
    for (size_t i = pos; i < pos + digits; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      value = value * 10 + (s[i] - '0');
    }
    if (value < lo || value > hi) return std::nullopt;
    return value;
  };
  auto at = [&](size_t pos, char c) { return pos < s.size() && s[pos] == c; };
  std::optional<int> year = number(0, 4, 0, 9999);
  std::optional<int> month = number(5, 2, 1, 12);
  if (!year || !month || !at(4, '-') || !at(7, '-') || !at(10, 'T') || !at(13, ':') ||
      !at(16, ':')) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[*month - 1] + (*month == 2 && IsLeapYear(*year) ? 1 : 0);
  if (!number(8, 2, 1, days) || !number(11, 2, 0, 23) || !number(14, 2, 0, 59) ||
      !number(17, 2, 0, 59)) {
    return false;
  }
  size_t pos = 19;
  if (at(pos, '.')) {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (at(pos, 'Z')) return pos + 1 == s.size();
  if (!at(pos, '+') && !at(pos, '-')) return false;
  return pos + 6 == s.size() && number(pos + 1, 2, 0, 23) && at(pos + 3, ':') &&
         number(pos + 4, 2, 0, 59);
}

berth::Status CheckTime(const std::string& path, const std::string& time) {
  if (time.empty() || IsRfc3339(time)) return Ok();
  return Fail(DecodeError(path, "invalid RFC 3339 time " + Quote(time)));
}

template <typename T>
berth::Status Check(const T&, const std::string&) {
  return Ok();
}

berth::Status Check(const Descriptor& d, const std::string& path) {
  if (d.size >= 0) return Ok();
  return Fail(DecodeError(MemberPath(path, "size"), "negative size " + std::to_string(d.size)));
}

berth::Status Check(const RootFs& rootfs, const std::string& path) {
  if (rootfs.type == kRootFsTypeLayers) return Ok();
  return Fail(DecodeError(MemberPath(path, "type"),
                          "unsupported type " + Quote(rootfs.type) + ", want \"layers\""));
}

berth::Status Check(const History& history, const std::string& path) {
  return CheckTime(MemberPath(path, "created"), history.created);
}

// Each history entry that is not an empty_layer created the next of rootfs.diff_ids, so there
// cannot be more of them than diff_ids (there may be fewer: history is optional).
berth::Status Check(const ImageConfig& config, const std::string& path) {
  BERTH_TRY(CheckTime(MemberPath(path, "created"), config.created));
  size_t layers = 0;
  for (const History& h : config.history) layers += h.empty_layer ? 0 : 1;
  if (layers > config.rootfs.diff_ids.size()) {
    return Fail(DecodeError(MemberPath(path, "history"),
                            std::to_string(layers) +
                                " entries create a layer but rootfs.diff_ids lists " +
                                std::to_string(config.rootfs.diff_ids.size())));
  }
  return Ok();
}

// ---- Base64 (RFC 4648 section 4, with padding) ----

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64Alphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

// Base64Decode is strict: no whitespace, length a multiple of four, padding only at the end.
std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t padding = 0;
    uint32_t group = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      size_t value = kBase64Alphabet.find(c);
      if (c == '=' && last && k >= 2) {
        ++padding;
        value = 0;
      } else if (value == std::string_view::npos || padding > 0) {
        return std::nullopt;
      }
      group = (group << 6) | static_cast<uint32_t>(value);
    }
    for (size_t k = 0; k < 3 - padding; ++k)
      out += static_cast<char>((group >> (16 - 8 * k)) & 0xff);
  }
  return out;
}

// ---- Decoding ----

// Describes a JSON value for an error: numbers by value, everything else by type.
std::string Describe(const Json& j) {
  return j.is_number() ? "number " + j.dump() : std::string(j.type_name());
}

Error TypeError(const std::string& path, std::string_view expected, const Json& j) {
  return DecodeError(path, "expected " + std::string(expected) + ", got " + Describe(j));
}

berth::Status Read(const Json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) return Fail(TypeError(path, "a string", j));
  out = j.get<std::string>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) return Fail(TypeError(path, "a boolean", j));
  out = j.get<bool>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, Digest& out) {
  std::string text;
  BERTH_TRY(Read(j, path, text));
  Result<Digest> digest = Digest::Parse(text);
  if (!digest) return Fail(DecodeError(path, digest.error().message()));
  out = std::move(*digest);
  return Ok();
}

template <typename Str>
berth::Status Read(const Json& j, const std::string& path, MediaTypeField<Str>& field) {
  BERTH_TRY(Read(j, path, field.value));
  if (field.accepts != nullptr && !field.accepts(field.value)) {
    return Fail(DecodeError(path, Quote(field.value) + " is not " + field.what + " media type"));
  }
  if (!IsValidMediaType(field.value)) {
    return Fail(DecodeError(path, "invalid media type " + Quote(field.value)));
  }
  return Ok();
}

template <typename Bytes>
berth::Status Read(const Json& j, const std::string& path, Base64Field<Bytes>& field) {
  std::string text;
  BERTH_TRY(Read(j, path, text));
  field.bytes = Base64Decode(text);
  if (!field.bytes) return Fail(DecodeError(path, "invalid base64 " + Quote(text)));
  return Ok();
}

// Integers must be JSON integers (no fraction, no exponent) within the range of the C++ field.
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
    return Fail(TypeError(path, kUnsigned ? "an unsigned integer" : "an integer", j));
  }
  int64_t value = j.get<int64_t>();
  if (value < static_cast<int64_t>(std::numeric_limits<T>::min())) return range_error();
  out = static_cast<T>(value);
  return Ok();
}

template <typename Int>
berth::Status Read(const Json& j, const std::string& path, SchemaVersionField<Int>& field) {
  BERTH_TRY(Read(j, path, field.version));
  if (field.version == kSchemaVersion) return Ok();
  return Fail(DecodeError(path, "unsupported schema version " + std::to_string(field.version) +
                                    ", want " + std::to_string(kSchemaVersion)));
}

// A set of names is a JSON object whose keys are the names and whose values are empty objects
// (Go's map[string]struct{}); the values' contents are ignored.
berth::Status Read(const Json& j, const std::string& path, std::set<std::string>& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  out.clear();
  for (const auto& [key, item] : j.items()) {
    if (!item.is_object() && !item.is_null()) {
      return Fail(TypeError(path + "[" + Quote(key) + "]", "an object", item));
    }
    out.insert(key);
  }
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::optional<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::vector<T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out);
template <typename T>
berth::Status Read(const Json& j, const std::string& path, T& out);

template <typename List>
berth::Status Read(const Json& j, const std::string& path, StrSliceField<List>& field) {
  if (!j.is_string()) return Read(j, path, field.list);
  field.list = std::vector<std::string>{j.get<std::string>()};
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
  if (!j.is_array()) return Fail(TypeError(path, "an array", j));
  out.clear();
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T value{};
    BERTH_TRY(Read(j[i], path + "[" + std::to_string(i) + "]", value));
    out.push_back(std::move(value));
  }
  return Ok();
}

template <typename T>
berth::Status Read(const Json& j, const std::string& path, std::map<std::string, T>& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  out.clear();
  for (const auto& [key, item] : j.items()) {
    T value{};
    BERTH_TRY(Read(item, path + "[" + Quote(key) + "]", value));
    out.emplace(key, std::move(value));
  }
  return Ok();
}

// Structs: an object whose properties Fields names, then the struct's semantic Check.
template <typename T>
berth::Status Read(const Json& j, const std::string& path, T& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  Decoder decoder(j, path);
  Fields(decoder, out);
  BERTH_TRY(std::move(decoder).status());
  return Check(out, path);
}

Result<Json> Parse(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 17: <reason>";
    // keep the reason, since the byte offset is reported separately.
    std::string_view what = e.what();
    size_t column = what.find("column ");
    size_t reason = column == std::string_view::npos ? column : what.find(": ", column);
    if (reason != std::string_view::npos) what.remove_prefix(reason + 2);
    return Fail(ErrorKind::kInvalidArgument,
                "invalid JSON at byte " + std::to_string(e.byte) + ": " + std::string(what));
  } catch (const Json::exception& e) {
    return Fail(ErrorKind::kInvalidArgument, std::string("invalid JSON: ") + e.what());
  }
}

// Decode parses text as a T; errors are prefixed with "<context>: " when context is not empty.
template <typename T>
Result<T> Decode(std::string_view text, std::string_view context) {
  Result<Json> json = Parse(text);
  T value{};
  berth::Status status = json ? Read(*json, "", value) : berth::Status(Fail(json.error()));
  if (!status) {
    if (!context.empty()) status.error().Wrap(context);
    return Fail(std::move(status).error());
  }
  return value;
}

// ---- Encoding ----

inline bool IsEmpty(const std::string& s) { return s.empty(); }
inline bool IsEmpty(bool b) { return !b; }
template <Integer T>
bool IsEmpty(const T& value) {
  return value == 0;
}
template <typename Str>
bool IsEmpty(const MediaTypeField<Str>& field) {
  return field.value.empty();
}
template <typename Bytes>
bool IsEmpty(const Base64Field<Bytes>& field) {
  return !field.bytes.has_value();
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
template <typename List>
bool IsEmpty(const StrSliceField<List>& field) {
  return IsEmpty(field.list);
}
template <typename T>
bool IsEmpty(const T&) {
  return false;  // structs and digests are written whenever their parent is
}

inline OrderedJson ToJson(const std::string& s) { return s; }
inline OrderedJson ToJson(bool b) { return b; }
inline OrderedJson ToJson(const Digest& digest) { return digest.String(); }
template <Integer T>
OrderedJson ToJson(const T& value) {
  return value;
}
template <typename Str>
OrderedJson ToJson(const MediaTypeField<Str>& field) {
  return field.value;
}
template <typename Int>
OrderedJson ToJson(const SchemaVersionField<Int>& field) {
  return field.version;
}
template <typename Bytes>
OrderedJson ToJson(const Base64Field<Bytes>& field) {
  return Base64Encode(*field.bytes);
}
inline OrderedJson ToJson(const std::set<std::string>& names) {
  OrderedJson object = OrderedJson::object();
  for (const std::string& name : names) object[name] = OrderedJson::object();
  return object;
}
template <typename T>
OrderedJson ToJson(const std::optional<T>& o);
template <typename T>
OrderedJson ToJson(const std::vector<T>& v);
template <typename List>
OrderedJson ToJson(const StrSliceField<List>& field) {
  return ToJson(field.list);
}
template <typename T>
OrderedJson ToJson(const std::map<std::string, T>& m);
template <typename T>
OrderedJson ToJson(const T& value);

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
OrderedJson ToJson(const T& value) {
  Encoder encoder;
  Fields(encoder, value);
  return std::move(encoder).Take();
}

// Compact; invalid UTF-8 in a string is replaced rather than thrown.
template <typename T>
std::string Encode(const T& value) {
  return ToJson(value).dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace

Result<Manifest> DecodeManifest(std::string_view json) {
  return Decode<Manifest>(json, "decode manifest");
}

std::string EncodeManifest(const Manifest& manifest) { return Encode(manifest); }

Result<Index> DecodeIndex(std::string_view json) { return Decode<Index>(json, "decode index"); }

std::string EncodeIndex(const Index& index) { return Encode(index); }

Result<ImageConfig> DecodeImageConfig(std::string_view json) {
  return Decode<ImageConfig>(json, "decode image config");
}

std::string EncodeImageConfig(const ImageConfig& config) { return Encode(config); }

Result<Descriptor> DecodeDescriptor(std::string_view json) { return Decode<Descriptor>(json, ""); }

std::string EncodeDescriptor(const Descriptor& descriptor) { return Encode(descriptor); }

}  // namespace berth::oci
