// Remove and Prune: docker's rules for deleting images (daemon/images image_delete.go and
// image_prune.go), over the catalog's names and the store's DeleteImage.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "base/log.h"
#include "base/strings.h"
#include "image/store/go_time.h"
#include "image/store/image_views.h"
#include "image/store/unpack.h"

namespace berth::image::store {
namespace {

using metadata::ImageRecord;
using TimePoint = std::chrono::system_clock::time_point;

std::string ShortContainerId(const std::string& id) { return id.substr(0, 12); }

std::vector<Reference> NamesOf(const ImageRecord& image) {
  std::vector<Reference> names = image.tags;
  names.insert(names.end(), image.digests.begin(), image.digests.end());
  return names;
}

// IsSingleReference: every name is in one repository and at most one is a tag (docker's rule
// for deleting an image by id along with its names without force). False when there is none.
bool IsSingleReference(const std::vector<Reference>& names) {
  if (names.size() <= 1) return names.size() == 1;
  std::set<std::string> digest_repos;
  const Reference* single = nullptr;
  for (const Reference& name : names) {
    if (name.digest) {
      digest_repos.insert(name.Name());
    } else if (single == nullptr) {
      single = &name;
    } else {
      return false;
    }
  }
  if (single == nullptr) single = &names.front();
  return digest_repos.size() == 1 && digest_repos.contains(single->Name());
}

// IsIdPrefix says whether what the user typed reads as (a prefix of) the image id rather than
// as a name.
bool IsIdPrefix(const Digest& id, std::string_view typed) {
  return id.String().starts_with(typed) || id.hex.starts_with(typed);
}

// Why an image cannot be deleted now. Hard conflicts hold even against force.
struct Conflict {
  bool hard = false;
  bool used = false;  // a container uses the image
  std::string message;
};

// The conflicts a check looks for, as a mask.
constexpr unsigned kChildren = 1;
constexpr unsigned kRunning = 2;
constexpr unsigned kNames = 4;
constexpr unsigned kStopped = 8;
constexpr unsigned kHard = kChildren | kRunning;
constexpr unsigned kSoft = kNames | kStopped;

// Remover carries one rm (or one prune's series of rms): docker's records and the bytes freed.
class Remover {
 public:
  Remover(ImageStore& store, const ImageUsers& users) : store_(store), users_(users) {}

  Status Remove(std::string_view typed, bool force, bool prune) {
    BERTH_ASSIGN_OR_RETURN(ImageRecord image, store_.catalog().Resolve(typed));
    std::vector<Reference> names = NamesOf(image);
    if (IsIdPrefix(image.id, typed)) {
      if (IsSingleReference(names)) {
        BERTH_ASSIGN_OR_RETURN(std::optional<Conflict> c,
                               Check(image, kHard | (force ? 0u : kStopped)));
        if (c) return Fail(Refusal(image.id, *c));
        for (const Reference& name : names) BERTH_TRY(Untag(name));
      }
      return Delete(image.id, force, prune, false);
    }
    if (!force && IsSingleReference(names)) {
      std::vector<ContainerUse> users = Users(image.id);
      if (!users.empty()) {
        return Fail(ErrorKind::kConflict,
                    fmt::format("conflict: unable to remove repository reference \"{}\" (must "
                                "force) - container {} is using its referenced image {}",
                                typed, ShortContainerId(users.front().id), ShortId(image.id)));
      }
    }
    BERTH_ASSIGN_OR_RETURN(Reference name, ParseReference(typed));
    BERTH_TRY(Untag(name));
    BERTH_ASSIGN_OR_RETURN(image, store_.catalog().GetImage(image.id));
    if (!name.digest) BERTH_TRY(DropOrphanDigests(image, name));
    if (!image.tags.empty() || !image.digests.empty()) return Ok();
    return Delete(image.id, force, prune, true);
  }

  std::vector<DeleteItem> TakeItems() { return std::exchange(items_, {}); }
  int64_t bytes() const { return bytes_; }

 private:
  std::vector<ContainerUse> Users(const Digest& id) const {
    return users_ ? users_(id) : std::vector<ContainerUse>();
  }

  Status Untag(const Reference& name) {
    BERTH_TRY(store_.catalog().Untag(name));
    items_.push_back({.untagged = name.FamiliarString()});
    return Ok();
  }

  // DropOrphanDigests: once the last tag of a repository is gone, its repo digests go too.
  Status DropOrphanDigests(ImageRecord& image, const Reference& removed) {
    for (const Reference& tag : image.tags) {
      if (tag.Name() == removed.Name()) return Ok();
    }
    std::vector<Reference> kept;
    for (const Reference& digest : image.digests) {
      if (digest.Name() == removed.Name()) {
        BERTH_TRY(Untag(digest));
      } else {
        kept.push_back(digest);
      }
    }
    image.digests = std::move(kept);
    return Ok();
  }

  Result<std::optional<Conflict>> Check(const ImageRecord& image, unsigned mask) {
    if (mask & kChildren) {
      BERTH_ASSIGN_OR_RETURN(std::vector<Digest> children, store_.catalog().Children(image.id));
      if (!children.empty()) {
        return Conflict{.hard = true, .message = "image has dependent child images"};
      }
    }
    const std::vector<ContainerUse> users = Users(image.id);
    auto user = [&](bool running) {
      return std::find_if(users.begin(), users.end(),
                          [&](const ContainerUse& u) { return u.running == running; });
    };
    if ((mask & kRunning) && user(true) != users.end()) {
      return Conflict{.hard = true,
                      .used = true,
                      .message = "image is being used by running container " +
                                 ShortContainerId(user(true)->id)};
    }
    if ((mask & kNames) && (!image.tags.empty() || !image.digests.empty())) {
      return Conflict{.message = "image is referenced in multiple repositories"};
    }
    if ((mask & kStopped) && user(false) != users.end()) {
      return Conflict{.used = true,
                      .message = "image is being used by stopped container " +
                                 ShortContainerId(user(false)->id)};
    }
    return std::optional<Conflict>();
  }

  static Error Refusal(const Digest& id, const Conflict& c) {
    return Error(ErrorKind::kConflict,
                 fmt::format("conflict: unable to delete {} ({}) - {}", ShortId(id),
                             c.hard ? "cannot be forced" : "must be forced", c.message));
  }

  // Delete removes the image with its names unless a conflict stands in the way; quiet ignores
  // the conflicts of an image that is still named or used, as after an untag. With prune, the
  // parent follows when nothing keeps it.
  Status Delete(const Digest& id, bool force, bool prune, bool quiet) {
    BERTH_ASSIGN_OR_RETURN(ImageRecord image, store_.catalog().GetImage(id));
    BERTH_ASSIGN_OR_RETURN(std::optional<Conflict> c, Check(image, kHard | (force ? 0u : kSoft)));
    if (c) {
      BERTH_ASSIGN_OR_RETURN(std::vector<Digest> children, store_.catalog().Children(id));
      const bool dangling = image.tags.empty() && image.digests.empty() && children.empty();
      if (quiet && (!dangling || c->used)) return Ok();
      return Fail(Refusal(id, *c));
    }
    for (const Reference& name : NamesOf(image)) BERTH_TRY(Untag(name));
    BERTH_ASSIGN_OR_RETURN(metadata::DeleteResult deleted, store_.DeleteImage(id));
    for (const Reference& name : deleted.untagged) {
      items_.push_back({.untagged = name.FamiliarString()});
    }
    items_.push_back({.deleted = id.String()});
    for (const metadata::LayerRecord& layer : deleted.layers) {
      items_.push_back({.deleted = layer.chain_id.String()});
      bytes_ += layer.size;
    }
    if (!prune || !image.parent) return Ok();
    Result<ImageRecord> parent = store_.catalog().GetImage(*image.parent);
    if (!parent && parent.error().kind() == ErrorKind::kNotFound) return Ok();
    BERTH_TRY(parent);
    return Delete(*image.parent, false, true, true);
  }

  ImageStore& store_;
  const ImageUsers& users_;
  std::vector<DeleteItem> items_;
  int64_t bytes_ = 0;
};

struct PruneFilter {
  bool dangling_only = true;
  std::optional<TimePoint> until;
  std::vector<std::string> labels;
  std::vector<std::string> not_labels;
};

Result<PruneFilter> ParsePruneFilters(const Filters& filters) {
  static const std::set<std::string> kAccepted = {"dangling", "label", "label!", "until"};
  PruneFilter out;
  for (const auto& [name, values] : filters) {
    if (!kAccepted.contains(name)) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid filter '{}'", name));
    }
    if (name == "dangling") {
      std::set<std::string> set(values.begin(), values.end());
      const bool is_true = set.contains("1") || set.contains("true");
      const bool is_false = set.contains("0") || set.contains("false");
      if (is_true == is_false) {
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("invalid filter 'dangling=[{}]'", Join(values, " ")));
      }
      out.dangling_only = is_true;
    } else if (name == "until") {
      if (values.size() > 1) {
        return Fail(ErrorKind::kInvalidArgument, "more than one until filter specified");
      }
      if (values.empty()) continue;
      BERTH_ASSIGN_OR_RETURN(
          out.until, Annotate(ParseFilterTime(values.front(), std::chrono::system_clock::now()),
                              "invalid value for 'until' filter"));
    } else {
      (name == "label" ? out.labels : out.not_labels) = values;
    }
  }
  return out;
}

// Candidate says whether prune considers image: not an intermediate image, old enough, and
// labelled as asked.
Result<bool> Candidate(ImageStore& store, const ImageRecord& image, const PruneFilter& filter) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> children, store.catalog().Children(image.id));
  const bool named = !image.tags.empty() || !image.digests.empty();
  if (!children.empty() && (filter.dangling_only || !named)) return false;
  if (filter.until && !(image.created && *image.created <= *filter.until)) return false;
  if (!MatchLabels(filter.labels, image.labels)) return false;
  if (!filter.not_labels.empty() && MatchLabels(filter.not_labels, image.labels)) return false;
  return true;
}

}  // namespace

Result<std::vector<DeleteItem>> Remove(ImageStore& store, std::string_view ref_or_id,
                                       const RemoveOptions& options) {
  Remover remover(store, options.users);
  BERTH_TRY(Annotate(remover.Remove(ref_or_id, options.force, options.prune_parents),
                     fmt::format("remove image {}", ref_or_id)));
  return remover.TakeItems();
}

Result<PruneReport> Prune(ImageStore& store, const Filters& filters, const ImageUsers& users) {
  BERTH_ASSIGN_OR_RETURN(PruneFilter filter, Annotate(ParsePruneFilters(filters), "prune images"));
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> images,
                         Annotate(store.catalog().ListImages({.all = true}), "prune images"));
  PruneReport report;
  Remover remover(store, users);
  for (const ImageRecord& image : images) {
    BERTH_ASSIGN_OR_RETURN(bool candidate, Candidate(store, image, filter));
    if (!candidate) continue;
    // Earlier deletions (parents pruned with their children) may have taken this image already.
    Result<ImageRecord> current = store.catalog().GetImage(image.id);
    if (!current && current.error().kind() == ErrorKind::kNotFound) continue;
    BERTH_TRY(current);
    std::vector<std::string> targets;
    if (current->tags.empty() && current->digests.empty()) {
      targets.push_back(current->id.hex);
    } else if (!filter.dangling_only || current->tags.empty()) {
      for (const Reference& name : NamesOf(*current)) targets.push_back(name.String());
    }
    // As docker does, an image that cannot be deleted is skipped: a conflict silently, any
    // other error with a warning.
    for (const std::string& target : targets) {
      Status removed = remover.Remove(target, false, true);
      if (!removed && removed.error().kind() != ErrorKind::kConflict &&
          removed.error().kind() != ErrorKind::kNotFound) {
        log::Warn("prune images: remove {}: {}", target, removed.error().message());
      }
    }
  }
  report.deleted = remover.TakeItems();
  report.space_reclaimed = remover.bytes();
  return report;
}

}  // namespace berth::image::store
