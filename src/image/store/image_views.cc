// Tag, History, List and Inspect, and the JSON shapes of every view; Remove and Prune are in
// image_views_remove.cc.
#include "image/store/image_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "base/strings.h"
#include "image/reference/reference.h"
#include "image/store/go_time.h"
#include "oci/image_spec_json.h"

namespace berth::image::store {
namespace {

using nlohmann::ordered_json;
using TimePoint = std::chrono::system_clock::time_point;

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::vector<std::string> Familiar(const std::vector<Reference>& names) {
  std::vector<std::string> out;
  for (const Reference& name : names) out.push_back(name.FamiliarString());
  return out;
}

ordered_json Strings(const std::vector<std::string>& values) {
  ordered_json out = ordered_json::array();
  for (const std::string& v : values) out.push_back(v);
  return out;
}

ordered_json StringMap(const std::map<std::string, std::string>& values) {
  ordered_json out = ordered_json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

Result<oci::ImageConfig> ReadConfig(ImageStore& store, const Digest& id) {
  BERTH_ASSIGN_OR_RETURN(std::string bytes, store.ReadBlob(id));
  return oci::DecodeImageConfig(bytes);
}

// ListFilter turns docker's list filters into the catalog's, resolving several before (since)
// values to the oldest (newest) image they name, as docker does.
struct ListFilter {
  metadata::ImageFilter catalog;
  std::optional<TimePoint> until;
};

Result<std::optional<bool>> Dangling(const Filters& filters) {
  auto it = filters.find("dangling");
  if (it == filters.end()) return std::optional<bool>();
  std::set<std::string> values(it->second.begin(), it->second.end());
  const bool is_true = values.contains("1") || values.contains("true");
  const bool is_false = values.contains("0") || values.contains("false");
  if (is_true == is_false) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid filter 'dangling=[{}]'", Join(it->second, " ")));
  }
  return std::optional<bool>(is_true);
}

// Extreme resolves each of refs and returns the one created first (oldest) or last.
Result<std::optional<std::string>> Extreme(ImageStore& store, const std::vector<std::string>& refs,
                                           bool oldest, std::string_view filter) {
  std::optional<std::pair<TimePoint, std::string>> best;
  for (const std::string& ref : refs) {
    Result<metadata::ImageRecord> image = store.catalog().Resolve(ref);
    if (!image) return Fail(std::move(image).error().Wrap(fmt::format("filter {}", filter)));
    const TimePoint created = image->created.value_or(TimePoint::min());
    if (!best || (oldest ? created < best->first : created > best->first)) {
      best = {created, image->id.String()};
    }
  }
  if (!best) return std::optional<std::string>();
  return std::optional<std::string>(best->second);
}

Result<ListFilter> ParseListFilters(ImageStore& store, const ListOptions& options) {
  static const std::set<std::string> kAccepted = {"dangling", "label",     "before",
                                                  "since",    "reference", "until"};
  for (const auto& [name, values] : options.filters) {
    if (!kAccepted.contains(name)) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid filter '{}'", name));
    }
  }
  auto values = [&](const std::string& name) {
    auto it = options.filters.find(name);
    return it == options.filters.end() ? std::vector<std::string>() : it->second;
  };
  ListFilter out;
  out.catalog.all = options.all;
  BERTH_ASSIGN_OR_RETURN(out.catalog.dangling, Dangling(options.filters));
  out.catalog.labels = values("label");
  out.catalog.references = values("reference");
  BERTH_ASSIGN_OR_RETURN(out.catalog.before, Extreme(store, values("before"), true, "before"));
  BERTH_ASSIGN_OR_RETURN(out.catalog.since, Extreme(store, values("since"), false, "since"));
  const TimePoint now = std::chrono::system_clock::now();
  for (const std::string& value : values("until")) {
    BERTH_ASSIGN_OR_RETURN(
        TimePoint t, Annotate(ParseFilterTime(value, now), "invalid value for 'until' filter"));
    if (!out.until || t < *out.until) out.until = t;
  }
  return out;
}

}  // namespace

Result<Digest> Tag(ImageStore& store, std::string_view source, std::string_view target) {
  const std::string what = fmt::format("tag {} as {}", source, target);
  BERTH_ASSIGN_OR_RETURN(Reference name, Annotate(ParseNormalizedNamed(target), what));
  if (name.digest) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: refusing to create a tag with a digest reference", what));
  }
  if (name.tag.empty()) name.tag = std::string(kDefaultTag);
  BERTH_ASSIGN_OR_RETURN(metadata::ImageRecord image,
                         Annotate(store.catalog().Resolve(source), what));
  BERTH_TRY(Annotate(store.catalog().Tag(name, image.id), what));
  return image.id;
}

Result<std::vector<HistoryItem>> History(ImageStore& store, std::string_view ref_or_id) {
  const std::string what = fmt::format("history of {}", ref_or_id);
  BERTH_ASSIGN_OR_RETURN(metadata::ImageRecord image,
                         Annotate(store.catalog().Resolve(ref_or_id), what));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig config, Annotate(ReadConfig(store, image.id), what));
  std::vector<HistoryItem> items;
  size_t layer = 0;
  for (const oci::History& entry : config.history) {
    HistoryItem item{.id = "<missing>", .created_by = entry.created_by, .comment = entry.comment};
    if (std::optional<TimePoint> created = ParseRfc3339(entry.created)) {
      item.created = UnixSeconds(*created);
    }
    if (!entry.empty_layer) {
      if (layer >= image.layers.size()) {
        return Fail(ErrorKind::kDataLoss,
                    fmt::format("{}: too many non-empty layers in History section", what));
      }
      item.size = image.layers[layer++].size;
    }
    items.push_back(std::move(item));
  }
  std::reverse(items.begin(), items.end());
  std::optional<metadata::ImageRecord> step = std::move(image);
  for (HistoryItem& item : items) {
    if (!step) break;
    item.id = step->id.String();
    item.tags = Familiar(step->tags);
    if (!step->parent) break;
    Result<metadata::ImageRecord> parent = store.catalog().GetImage(*step->parent);
    if (!parent && parent.error().kind() != ErrorKind::kNotFound) {
      return Fail(std::move(parent).error().Wrap(what));
    }
    step = parent ? std::optional(std::move(*parent)) : std::nullopt;
  }
  return items;
}

Result<std::vector<ImageSummary>> List(ImageStore& store, const ListOptions& options) {
  BERTH_ASSIGN_OR_RETURN(ListFilter filter,
                         Annotate(ParseListFilters(store, options), "list images"));
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> images,
                         Annotate(store.catalog().ListImages(filter.catalog), "list images"));
  LayerSizes sizes;
  if (options.shared_size) {
    BERTH_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> every,
                           Annotate(store.catalog().ListImages({.all = true}), "list images"));
    sizes = MeasureLayers(every);
  }
  std::vector<ImageSummary> out;
  for (metadata::ImageRecord& image : images) {
    if (filter.until && !(image.created && *image.created < *filter.until)) continue;
    ImageSummary summary{.image = std::move(image)};
    if (options.users) {
      summary.containers = static_cast<int64_t>(options.users(summary.image.id).size());
    }
    if (options.shared_size) {
      auto it = sizes.shared.find(summary.image.id.String());
      summary.shared_size = it == sizes.shared.end() ? 0 : it->second;
    }
    out.push_back(std::move(summary));
  }
  return out;
}

LayerSizes MeasureLayers(const std::vector<metadata::ImageRecord>& images) {
  // A layer (a chain id) is shared when more than one image has it.
  // chain id → the images having it, its size
  std::map<std::string, std::pair<int, int64_t>> layers;
  for (const metadata::ImageRecord& image : images) {
    for (const metadata::LayerRecord& layer : image.layers) {
      auto& [count, size] = layers[layer.chain_id.String()];
      ++count;
      size = layer.size;
    }
  }
  LayerSizes sizes;
  for (const auto& [chain_id, layer] : layers) sizes.total += layer.second;
  for (const metadata::ImageRecord& image : images) {
    int64_t shared = 0;
    for (const metadata::LayerRecord& layer : image.layers) {
      if (layers[layer.chain_id.String()].first > 1) shared += layer.size;
    }
    sizes.shared[image.id.String()] = shared;
  }
  return sizes;
}

Result<nlohmann::ordered_json> Inspect(ImageStore& store, std::string_view ref_or_id) {
  const std::string what = fmt::format("inspect image {}", ref_or_id);
  BERTH_ASSIGN_OR_RETURN(metadata::ImageRecord image,
                         Annotate(store.catalog().Resolve(ref_or_id), what));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig config, Annotate(ReadConfig(store, image.id), what));
  GraphDriver driver{.name = GraphDriverName(store.snapshotter().name()), .data = {}};
  if (!image.layers.empty()) {
    BERTH_ASSIGN_OR_RETURN(
        driver,
        Annotate(SnapshotGraphDriver(store.snapshotter(), image.layers.back().snapshot_key), what));
  }
  return InspectJson(image, config, driver);
}

Result<GraphDriver> SnapshotGraphDriver(snapshot::Snapshotter& snapshotter, std::string_view key,
                                        std::string_view merged) {
  BERTH_ASSIGN_OR_RETURN(snapshot::SnapshotDirs dirs, snapshotter.Dirs(key));
  GraphDriver driver{.name = GraphDriverName(snapshotter.name()), .data = {}};
  driver.data["UpperDir"] = dirs.tree;
  if (!dirs.work.empty()) driver.data["WorkDir"] = dirs.work;
  if (!dirs.lowers.empty()) driver.data["LowerDir"] = Join(dirs.lowers, ":");
  if (!merged.empty()) driver.data["MergedDir"] = std::string(merged);
  return driver;
}

// ---- JSON ----

std::string GraphDriverName(std::string_view snapshotter) {
  return snapshotter == "overlay" ? "overlay2" : std::string(snapshotter);
}

nlohmann::ordered_json GraphDriverJson(const GraphDriver& driver) {
  ordered_json out;
  out["Data"] = driver.data.empty() ? ordered_json(nullptr) : StringMap(driver.data);
  out["Name"] = driver.name;
  return out;
}

nlohmann::ordered_json InspectJson(const metadata::ImageRecord& image,
                                   const oci::ImageConfig& config, const GraphDriver& driver) {
  ordered_json out;
  out["Id"] = image.id.String();
  out["RepoTags"] = Strings(Familiar(image.tags));
  out["RepoDigests"] = Strings(Familiar(image.digests));
  out["Parent"] = image.parent ? image.parent->String() : "";
  out["Comment"] = config.history.empty() ? "" : config.history.back().comment;
  if (!config.created.empty()) out["Created"] = config.created;
  out["DockerVersion"] = "";
  out["Author"] = config.author;
  // The "config" object exactly as the image config's codec writes it.
  oci::ImageConfig only_config;
  only_config.config = config.config;
  ordered_json encoded = ordered_json::parse(oci::EncodeImageConfig(only_config), nullptr, false);
  out["Config"] = encoded.is_object() && encoded.contains("config") ? encoded["config"]
                                                                    : ordered_json::object();
  out["Architecture"] = config.architecture;
  if (!config.variant.empty()) out["Variant"] = config.variant;
  out["Os"] = config.os;
  if (!config.os_version.empty()) out["OsVersion"] = config.os_version;
  out["Size"] = image.size;
  out["GraphDriver"] = GraphDriverJson(driver);
  ordered_json rootfs = {{"Type", config.rootfs.type}};
  if (!config.rootfs.diff_ids.empty()) {
    ordered_json layers = ordered_json::array();
    for (const Digest& d : config.rootfs.diff_ids) layers.push_back(d.String());
    rootfs["Layers"] = std::move(layers);
  }
  out["RootFS"] = std::move(rootfs);
  ordered_json metadata = ordered_json::object();
  if (image.last_tag_time) metadata["LastTagTime"] = FormatRfc3339Nano(*image.last_tag_time);
  out["Metadata"] = std::move(metadata);
  return out;
}

nlohmann::ordered_json SummaryJson(const ImageSummary& summary) {
  const metadata::ImageRecord& image = summary.image;
  ordered_json out;
  out["Containers"] = summary.containers;
  out["Created"] = image.created ? UnixSeconds(*image.created) : 0;
  out["Id"] = image.id.String();
  out["Labels"] = StringMap(image.labels);
  out["ParentId"] = image.parent ? image.parent->String() : "";
  out["RepoDigests"] = Strings(Familiar(image.digests));
  out["RepoTags"] = Strings(Familiar(image.tags));
  out["SharedSize"] = summary.shared_size;
  out["Size"] = image.size;
  return out;
}

nlohmann::ordered_json HistoryJson(const std::vector<HistoryItem>& items) {
  ordered_json out = ordered_json::array();
  for (const HistoryItem& item : items) {
    ordered_json row;
    row["Id"] = item.id;
    row["Created"] = item.created;
    row["CreatedBy"] = item.created_by;
    row["Tags"] = item.tags.empty() ? ordered_json(nullptr) : Strings(item.tags);
    row["Size"] = item.size;
    row["Comment"] = item.comment;
    out.push_back(std::move(row));
  }
  return out;
}

nlohmann::ordered_json DeleteJson(const std::vector<DeleteItem>& items) {
  ordered_json out = ordered_json::array();
  for (const DeleteItem& item : items) {
    out.push_back(item.untagged.empty() ? ordered_json{{"Deleted", item.deleted}}
                                        : ordered_json{{"Untagged", item.untagged}});
  }
  return out;
}

nlohmann::ordered_json PruneJson(const PruneReport& report) {
  ordered_json out;
  out["ImagesDeleted"] =
      report.deleted.empty() ? ordered_json(nullptr) : DeleteJson(report.deleted);
  out["SpaceReclaimed"] = report.space_reclaimed;
  return out;
}

bool MatchLabels(const std::vector<std::string>& wanted,
                 const std::map<std::string, std::string>& labels) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    const size_t eq = w.find('=');
    auto it = labels.find(w.substr(0, eq));
    return it != labels.end() && (eq == std::string::npos || it->second == w.substr(eq + 1));
  });
}

bool MatchPruneLabels(const Filters& filters, const std::map<std::string, std::string>& labels) {
  auto values = [&](const char* key) {
    auto it = filters.find(key);
    return it == filters.end() ? std::vector<std::string>{} : it->second;
  };
  const std::vector<std::string> unwanted = values("label!");
  return MatchLabels(values("label"), labels) &&
         (unwanted.empty() || !MatchLabels(unwanted, labels));
}

}  // namespace berth::image::store
