// The image commands docker users run on local images, over an ImageStore: tag, rm, history,
// inspect, images (list) and prune, with docker's semantics and the JSON shapes of the Engine API
// (ImageInspect, ImageSummary, HistoryResponseItem, ImageDeleteResponseItem, ImagePruneResponse).
// The store knows no containers: callers pass ImageUsers, which lists the containers made from an
// image. Free functions, thread-safe as the store is; the JSON builders are pure.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/metadata/records.h"
#include "image/store/image_store.h"
#include "oci/image_spec.h"

namespace berth::image::store {

// Docker's filters of a list or prune request: name → values ({"label": ["a=b", "c"]}).
using Filters = std::map<std::string, std::vector<std::string>>;

// MatchLabels is docker's MatchKVList, the test of every label filter (images, containers,
// events): each "key" or "key=value" of wanted holds in labels. None wanted: true.
bool MatchLabels(const std::vector<std::string>& wanted,
                 const std::map<std::string, std::string>& labels);
// MatchPruneLabels is a prune's label test, docker's: the "label" filters all hold, and the
// "label!" filters, when there are any, do not all hold.
bool MatchPruneLabels(const Filters& filters, const std::map<std::string, std::string>& labels);

// A container made from an image.
struct ContainerUse {
  std::string id;
  bool running = false;
};

// ImageUsers lists the containers made from image_id, running or not.
using ImageUsers = std::function<std::vector<ContainerUse>(const Digest& image_id)>;

// ---- tag ----

// Tag points target at the image source names (a reference or id, as Catalog::Resolve reads it),
// as `docker tag` does: target gets "latest" when it has no tag; a target with a digest is
// kInvalidArgument ("refusing to create a tag with a digest reference"). Returns the image id.
Result<Digest> Tag(ImageStore& store, std::string_view source, std::string_view target);

// ---- rm ----

// One line of docker's delete response: exactly one of the two is set.
struct DeleteItem {
  std::string untagged;  // a name removed, in its familiar form ("busybox:latest")
  std::string deleted;   // an image id or a layer's chain id removed, "sha256:..."
  bool operator==(const DeleteItem&) const = default;
};

struct RemoveOptions {
  bool force = false;
  // Also delete the parents that become unnamed and unused (docker's default; --no-prune).
  bool prune_parents = true;
  ImageUsers users;  // unset: no container uses any image
};

// Remove is `docker rmi`. By name: the name is untagged, and the image deleted only when no name
// is left; a container using the image refuses the untag of its last name unless forced. By id:
// the image is deleted with all its names, which needs force when they span several
// repositories; images built on it refuse it (even forced), as does a running container; a
// stopped container refuses it unless forced. Refusals are kConflict with docker's message
// ("conflict: unable to delete 0123456789ab (must be forced) - image is being used by stopped
// container 3b1f0b2c9a8e"). The deleted image's snapshots and blobs that nothing else holds are
// removed. Returns docker's list of what was untagged and deleted, in order.
Result<std::vector<DeleteItem>> Remove(ImageStore& store, std::string_view ref_or_id,
                                       const RemoveOptions& options = {});

// ---- prune ----

struct PruneReport {
  std::vector<DeleteItem> deleted;
  int64_t space_reclaimed = 0;  // the tar sizes of the layers removed
};

// Prune is `docker image prune`: filters dangling (default true: only images without a tag;
// false, as `-a` sends: every image no container uses), until (created before), label and label!
// (docker's key or key=value). Images other images are built on are left to their children, and
// an image a container uses is skipped. Other filter names are kInvalidArgument ("invalid filter
// 'x'").
Result<PruneReport> Prune(ImageStore& store, const Filters& filters, const ImageUsers& users = {});

// ---- history ----

struct HistoryItem {
  std::string id;       // the image of this step, or "<missing>" when no local image is
  int64_t created = 0;  // Unix seconds; 0 when unknown
  std::string created_by;
  std::vector<std::string> tags;  // the familiar tags of the image `id`
  int64_t size = 0;               // the layer's tar size; 0 for a step without a layer
  std::string comment;
};

// History is `docker history`: one item per history entry of the image config, newest first.
// The newest carries the image's id and tags, the next its parent's (a local image it was built
// on), and so on while parents are known.
Result<std::vector<HistoryItem>> History(ImageStore& store, std::string_view ref_or_id);

// ---- images ----

struct ListOptions {
  bool all = false;  // also intermediate images (unnamed, with children)
  // dangling (true/false), label (key or key=value), before, since (references or ids), until
  // (a time or duration, go_time.h), reference (patterns); others are kInvalidArgument.
  Filters filters;
  ImageUsers users;          // unset: Containers is -1 (not computed)
  bool shared_size = false;  // compute SharedSize (docker's shared-size, system df)
};

// ImageSummary is one row of `docker images`.
struct ImageSummary {
  metadata::ImageRecord image;
  int64_t containers = -1;
  int64_t shared_size = -1;  // the bytes of its layers other images have too; -1 not computed
};

// List is `docker images`: images the most recently created first.
Result<std::vector<ImageSummary>> List(ImageStore& store, const ListOptions& options = {});

// LayerSizes are docker's figures over every image of the store: the size of each image's
// layers that other images have too (SharedSize, by image id) and the size of all the images'
// layers, each counted once (system df's LayersSize). Pure.
struct LayerSizes {
  std::map<std::string, int64_t> shared;  // by image id, "sha256:..."
  int64_t total = 0;
};
LayerSizes MeasureLayers(const std::vector<metadata::ImageRecord>& images);

// ---- inspect ----

// Inspect is `docker image inspect`: ImageInspect JSON of the image (see InspectJson), with the
// GraphDriver of its top layer's snapshot.
Result<nlohmann::ordered_json> Inspect(ImageStore& store, std::string_view ref_or_id);

// ---- GraphDriver ----

// GraphDriver is docker's GraphDriverData of an image or a container: the storage driver's name
// and where the snapshot's trees are on the host.
struct GraphDriver {
  std::string name;  // GraphDriverName
  // docker's overlay2 keys: UpperDir (the snapshot's own tree), WorkDir, LowerDir (the trees
  // beneath, the parent first, joined by ':'), MergedDir (where the layers are mounted as one).
  // Empty: docker's null (an image without layers).
  std::map<std::string, std::string> data;
};

// GraphDriverName is what docker calls the snapshotter: "overlay2" for overlay, else its name.
std::string GraphDriverName(std::string_view snapshotter);

// SnapshotGraphDriver is the GraphDriver of the snapshot key (an image's top layer or a
// container's rootfs) from the snapshotter's Dirs: UpperDir always, WorkDir and LowerDir where the
// snapshotter has them (overlay; a native tree is whole), MergedDir when merged is given (a
// container's rootfs mount point: an image's layers are mounted only inside containers).
Result<GraphDriver> SnapshotGraphDriver(snapshot::Snapshotter& snapshotter, std::string_view key,
                                        std::string_view merged = "");

// ---- JSON shapes (pure) ----

// GraphDriverJson is docker's {"Data": {...} or null, "Name": ...}.
nlohmann::ordered_json GraphDriverJson(const GraphDriver& driver);

// InspectJson is docker's ImageInspect: Id, RepoTags, RepoDigests, Parent, Comment (the config's
// last history comment), Created, DockerVersion, Author, Config, Architecture, Variant, Os,
// OsVersion, Size, GraphDriver {Data, Name}, RootFS {Type, Layers}, Metadata {LastTagTime}, in
// that order; Variant, OsVersion, Created and LastTagTime only when known.
nlohmann::ordered_json InspectJson(const metadata::ImageRecord& image,
                                   const oci::ImageConfig& config, const GraphDriver& driver);
// SummaryJson is docker's ImageSummary (SharedSize -1: not computed).
nlohmann::ordered_json SummaryJson(const ImageSummary& summary);
// HistoryJson is docker's list of HistoryResponseItem (Tags null when the image has none).
nlohmann::ordered_json HistoryJson(const std::vector<HistoryItem>& items);
// DeleteJson is docker's list of ImageDeleteResponseItem.
nlohmann::ordered_json DeleteJson(const std::vector<DeleteItem>& items);
// PruneJson is docker's ImagePruneResponse {ImagesDeleted, SpaceReclaimed}.
nlohmann::ordered_json PruneJson(const PruneReport& report);

}  // namespace berth::image::store
