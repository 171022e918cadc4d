#include "oci/image_spec_json.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "oci/json_codec.h"

namespace berth::oci {

using json_codec::DecodeError;
using json_codec::Emit;
using json_codec::Is;
using json_codec::Json;
using json_codec::MemberPath;
using json_codec::OrderedJson;
using json_codec::Quote;

namespace {

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

// ---- Reading and writing the field wrappers ----

template <typename Str>
berth::Status Read(const Json& j, const std::string& path, MediaTypeField<Str>& field) {
  BERTH_TRY(json_codec::Read(j, path, field.value));
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
  BERTH_TRY(json_codec::Read(j, path, text));
  Result<std::string> bytes = Base64Decode(text);
  if (!bytes) return Fail(DecodeError(path, "invalid base64 " + Quote(text)));
  field.bytes = std::move(*bytes);
  return Ok();
}

template <typename List>
berth::Status Read(const Json& j, const std::string& path, StrSliceField<List>& field) {
  if (!j.is_string()) return json_codec::Read(j, path, field.list);
  field.list = std::vector<std::string>{j.get<std::string>()};
  return Ok();
}

template <typename Int>
berth::Status Read(const Json& j, const std::string& path, SchemaVersionField<Int>& field) {
  BERTH_TRY(json_codec::Read(j, path, field.version));
  if (field.version == kSchemaVersion) return Ok();
  return Fail(DecodeError(path, "unsupported schema version " + std::to_string(field.version) +
                                    ", want " + std::to_string(kSchemaVersion)));
}

template <typename Str>
bool IsEmpty(const MediaTypeField<Str>& field) {
  return field.value.empty();
}
template <typename Bytes>
bool IsEmpty(const Base64Field<Bytes>& field) {
  return !field.bytes.has_value();
}
template <typename List>
bool IsEmpty(const StrSliceField<List>& field) {
  return json_codec::IsEmpty(field.list);
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
template <typename List>
OrderedJson ToJson(const StrSliceField<List>& field) {
  return json_codec::ToJson(field.list);
}

}  // namespace

// Each Fields overload lists the JSON properties of one struct in the order the Go reference
// types declare them, for json_codec's Decoder and Encoder; kAlways marks the arrays the specs
// make REQUIRED yet Go writers omit. The Fields and Check overloads are static rather than in the
// unnamed namespace so that json_codec's templates find them by argument-dependent lookup.

template <typename V, Is<Platform> S>
static void Fields(V& v, S& s) {
  v("architecture", s.architecture, Emit::kRequired);
  v("os", s.os, Emit::kRequired);
  v("os.version", s.os_version);
  v("os.features", s.os_features);
  v("variant", s.variant);
}

template <typename V, Is<Descriptor> S>
static void Fields(V& v, S& s) {
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
static void Fields(V& v, S& s) {
  v("schemaVersion", SchemaVersionField{s.schema_version}, Emit::kRequired);
  v("mediaType", MediaTypeField{s.media_type, &IsManifestMediaType, "an image manifest"});
  v("artifactType", MediaTypeField{s.artifact_type});
  v("config", s.config, Emit::kRequired);
  v("layers", s.layers, Emit::kAlways);
  v("subject", s.subject);
  v("annotations", s.annotations);
}

template <typename V, Is<Index> S>
static void Fields(V& v, S& s) {
  v("schemaVersion", SchemaVersionField{s.schema_version}, Emit::kRequired);
  v("mediaType", MediaTypeField{s.media_type, &IsIndexMediaType, "an index"});
  v("artifactType", MediaTypeField{s.artifact_type});
  v("manifests", s.manifests, Emit::kAlways);
  v("subject", s.subject);
  v("annotations", s.annotations);
}

template <typename V, Is<Healthcheck> S>
static void Fields(V& v, S& s) {
  v("Test", s.test);
  v("Interval", s.interval_ns);
  v("Timeout", s.timeout_ns);
  v("StartPeriod", s.start_period_ns);
  v("StartInterval", s.start_interval_ns);
  v("Retries", s.retries);
}

template <typename V, Is<ContainerConfig> S>
static void Fields(V& v, S& s) {
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
static void Fields(V& v, S& s) {
  v("type", s.type, Emit::kRequired);
  v("diff_ids", s.diff_ids, Emit::kAlways);
}

template <typename V, Is<History> S>
static void Fields(V& v, S& s) {
  v("created", s.created);
  v("created_by", s.created_by);
  v("author", s.author);
  v("comment", s.comment);
  v("empty_layer", s.empty_layer);
}

template <typename V, Is<ImageConfig> S>
static void Fields(V& v, S& s) {
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

static berth::Status Check(const Descriptor& d, const std::string& path) {
  if (d.size >= 0) return Ok();
  return Fail(DecodeError(MemberPath(path, "size"), "negative size " + std::to_string(d.size)));
}

static berth::Status Check(const RootFs& rootfs, const std::string& path) {
  if (rootfs.type == kRootFsTypeLayers) return Ok();
  return Fail(DecodeError(MemberPath(path, "type"),
                          "unsupported type " + Quote(rootfs.type) + ", want \"layers\""));
}

static berth::Status Check(const History& history, const std::string& path) {
  return CheckTime(MemberPath(path, "created"), history.created);
}

// Each history entry that is not an empty_layer created the next of rootfs.diff_ids, so there
// cannot be more of them than diff_ids (there may be fewer: history is optional).
static berth::Status Check(const ImageConfig& config, const std::string& path) {
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

Result<Manifest> DecodeManifest(std::string_view json) {
  return json_codec::Decode<Manifest>(json, "decode manifest");
}

std::string EncodeManifest(const Manifest& manifest) { return json_codec::Encode(manifest); }

Result<Index> DecodeIndex(std::string_view json) {
  return json_codec::Decode<Index>(json, "decode index");
}

std::string EncodeIndex(const Index& index) { return json_codec::Encode(index); }

Result<ImageConfig> DecodeImageConfig(std::string_view json) {
  return json_codec::Decode<ImageConfig>(json, "decode image config");
}

std::string EncodeImageConfig(const ImageConfig& config) { return json_codec::Encode(config); }

Result<Descriptor> DecodeDescriptor(std::string_view json) {
  return json_codec::Decode<Descriptor>(json, "");
}

Result<Descriptor> json_codec::ReadDescriptor(const Json& j) { return ReadDocument<Descriptor>(j); }

Status json_codec::ReadContainerConfig(const Json& j, const std::string& path,
                                       ContainerConfig& out) {
  return Read(j, path, out);
}

OrderedJson json_codec::ContainerConfigJson(const ContainerConfig& config) {
  return ToJson(config);
}

std::string EncodeDescriptor(const Descriptor& descriptor) {
  return json_codec::Encode(descriptor);
}

}  // namespace berth::oci
