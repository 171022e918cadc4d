#include "oci/image_layout.h"

#include <algorithm>

#include "base/strings.h"
#include "oci/image_spec_json.h"
#include "oci/json_codec.h"

namespace berth::oci {
namespace {

using json_codec::DecodeError;
using json_codec::ElementPath;
using json_codec::Json;
using json_codec::KeyPath;
using json_codec::MemberPath;
using json_codec::OrderedJson;
using json_codec::Quote;

// These files' type errors name the JSON type alone ("expected a string, got number").
Error TypeError(const std::string& path, std::string_view expected, const Json& j) {
  return json_codec::TypeError(path, expected, j.type_name());
}

Result<std::string> ReadString(const Json& j, const std::string& path) {
  if (!j.is_string()) return Fail(TypeError(path, "a string", j));
  return j.get<std::string>();
}

Result<std::string> ReadPath(const Json& j, const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string value, ReadString(j, path));
  BERTH_TRY(Annotate(ValidateArchivePath(value), path));
  return value;
}

// ReadList reads an array (null: empty) with `read` applied to each element.
template <typename Read>
Result<std::vector<std::string>> ReadList(const Json& j, const std::string& path, Read read) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Fail(TypeError(path, "an array", j));
  for (size_t i = 0; i < j.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(std::string value, read(j[i], ElementPath(path, i)));
    out.push_back(std::move(value));
  }
  return out;
}

Result<std::map<std::string, Descriptor>> ReadLayerSources(const Json& j, const std::string& path) {
  std::map<std::string, Descriptor> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  for (const auto& [key, item] : j.items()) {
    std::string item_path = KeyPath(path, key);
    BERTH_TRY(json_codec::ParseDigest(item_path, key));
    BERTH_ASSIGN_OR_RETURN(Descriptor descriptor,
                           Annotate(json_codec::ReadDescriptor(item), item_path));
    out.emplace(key, std::move(descriptor));
  }
  return out;
}

// A missing or null property reads as null.
const Json& Property(const Json& object, std::string_view key) {
  static const Json kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

Result<SaveManifestEntry> ReadSaveManifestEntry(const Json& j, const std::string& path) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", j));
  SaveManifestEntry entry;
  const Json& config = Property(j, "Config");
  std::string config_path = MemberPath(path, "Config");
  if (config.is_null()) return Fail(DecodeError(config_path, "missing required property"));
  BERTH_ASSIGN_OR_RETURN(entry.config, ReadPath(config, config_path));
  BERTH_ASSIGN_OR_RETURN(
      entry.repo_tags, ReadList(Property(j, "RepoTags"), MemberPath(path, "RepoTags"), ReadString));
  BERTH_ASSIGN_OR_RETURN(entry.layers,
                         ReadList(Property(j, "Layers"), MemberPath(path, "Layers"), ReadPath));
  const Json& parent = Property(j, "Parent");
  if (!parent.is_null() && !(parent.is_string() && parent.get<std::string>().empty())) {
    std::string parent_path = MemberPath(path, "Parent");
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadString(parent, parent_path));
    BERTH_ASSIGN_OR_RETURN(entry.parent, json_codec::ParseDigest(parent_path, text));
  }
  BERTH_ASSIGN_OR_RETURN(entry.layer_sources, ReadLayerSources(Property(j, "LayerSources"),
                                                               MemberPath(path, "LayerSources")));
  return entry;
}

Result<std::vector<SaveManifestEntry>> ReadSaveManifest(const Json& j) {
  if (!j.is_array()) return Fail(TypeError("", "an array", j));
  std::vector<SaveManifestEntry> entries;
  for (size_t i = 0; i < j.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(SaveManifestEntry entry,
                           ReadSaveManifestEntry(j[i], ElementPath("", i)));
    entries.push_back(std::move(entry));
  }
  return entries;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<Repositories> ReadRepositories(const Json& j) {
  if (!j.is_object()) return Fail(TypeError("", "an object", j));
  Repositories out;
  for (const auto& [repository, tags] : j.items()) {
    std::string repo_path = KeyPath("", repository);
    if (!tags.is_object()) return Fail(TypeError(repo_path, "an object", tags));
    for (const auto& [tag, id] : tags.items()) {
      std::string tag_path = KeyPath(repo_path, tag);
      BERTH_ASSIGN_OR_RETURN(std::string value, ReadString(id, tag_path));
      if (value.size() != 64 || !IsLowerHex(value)) {
        return Fail(DecodeError(
            tag_path, "invalid image id " + Quote(value) + ": want 64 lowercase hex digits"));
      }
      out[repository][tag] = std::move(value);
    }
  }
  return out;
}

// The characters image-layout allows in a reference name: letters, digits and -._:@/+.
bool IsRefNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._:@/+").find(c) != std::string_view::npos;
}

Status CheckRefNames(const Index& index) {
  for (size_t i = 0; i < index.manifests.size(); ++i) {
    for (std::string_view key : {kAnnotationRefName, kAnnotationContainerdImageName}) {
      auto it = index.manifests[i].annotations.find(std::string(key));
      if (it == index.manifests[i].annotations.end()) continue;
      const std::string& name = it->second;
      if (!name.empty() && std::all_of(name.begin(), name.end(), IsRefNameChar)) continue;
      return Fail(DecodeError(KeyPath(MemberPath(ElementPath("manifests", i), "annotations"), key),
                              "invalid reference name " + Quote(name)));
    }
  }
  return Ok();
}

}  // namespace

Status ValidateArchivePath(std::string_view path) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid archive path " + Quote(path) + ": " + std::string(why));
  };
  if (path.empty()) return invalid("empty");
  if (path.find('\0') != std::string_view::npos) return invalid("contains a NUL byte");
  if (path.front() == '/') return invalid("absolute");
  for (const std::string& component : Split(path, '/')) {
    if (component == "..") return invalid("has a \"..\" component");
  }
  return Ok();
}

Result<std::vector<SaveManifestEntry>> DecodeSaveManifest(std::string_view json) {
  return json_codec::DecodeWith<std::vector<SaveManifestEntry>>(json, "decode manifest.json",
                                                                ReadSaveManifest);
}

std::string EncodeSaveManifest(const std::vector<SaveManifestEntry>& entries) {
  OrderedJson array = OrderedJson::array();
  for (const SaveManifestEntry& entry : entries) {
    OrderedJson object = OrderedJson::object();
    object["Config"] = entry.config;
    object["RepoTags"] = entry.repo_tags.empty() ? OrderedJson() : OrderedJson(entry.repo_tags);
    object["Layers"] = entry.layers;
    if (entry.parent) object["Parent"] = entry.parent->String();
    if (!entry.layer_sources.empty()) {
      OrderedJson sources = OrderedJson::object();
      for (const auto& [diff_id, descriptor] : entry.layer_sources) {
        // EncodeDescriptor's output is valid JSON, so parsing it back cannot throw.
        sources[diff_id] = OrderedJson::parse(EncodeDescriptor(descriptor));
      }
      object["LayerSources"] = std::move(sources);
    }
    array.push_back(std::move(object));
  }
  return json_codec::Dump(array);
}

Result<Repositories> DecodeRepositories(std::string_view json) {
  return json_codec::DecodeWith<Repositories>(json, "decode repositories", ReadRepositories);
}

std::string EncodeRepositories(const Repositories& repositories) {
  return json_codec::Dump(OrderedJson(repositories));
}

Status DecodeOciLayout(std::string_view json) {
  auto read = [](const Json& j) -> Result<std::string> {
    if (!j.is_object()) return Fail(TypeError("", "an object", j));
    const Json& version = Property(j, "imageLayoutVersion");
    if (version.is_null()) {
      return Fail(DecodeError("imageLayoutVersion", "missing required property"));
    }
    BERTH_ASSIGN_OR_RETURN(std::string value, ReadString(version, "imageLayoutVersion"));
    if (value != kOciLayoutVersion) {
      return Fail(DecodeError("imageLayoutVersion", "unsupported version " + Quote(value) +
                                                        ", want " + Quote(kOciLayoutVersion)));
    }
    return value;
  };
  BERTH_TRY(json_codec::DecodeWith<std::string>(json, "decode oci-layout", +read));
  return Ok();
}

std::string EncodeOciLayout() {
  return R"({"imageLayoutVersion":")" + std::string(kOciLayoutVersion) + R"("})";
}

Result<Index> DecodeLayoutIndex(std::string_view json) {
  BERTH_ASSIGN_OR_RETURN(Index index, Annotate(DecodeIndex(json), kOciIndexFile));
  BERTH_TRY(Annotate(CheckRefNames(index), kOciIndexFile));
  return index;
}

}  // namespace berth::oci
