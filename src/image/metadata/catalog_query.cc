// Catalog::Resolve and Catalog::ListImages: finding images by reference, id prefix and filters.
#include <fnmatch.h>

#include <fmt/format.h>

#include <algorithm>

#include "image/metadata/catalog.h"
#include "image/metadata/rows.h"

namespace berth::image::metadata {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256HexLength = 64;

// IdHex returns the hex part of s when s is "sha256:" (optional) and 1 to 64 lowercase hex
// digits: a full id or a prefix of one.
std::optional<std::string_view> IdHex(std::string_view s) {
  if (s.starts_with(kSha256Prefix)) s.remove_prefix(kSha256Prefix.size());
  if (s.empty() || s.size() > kSha256HexLength) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return s;
}

// FindByPrefix returns the ids that start with "sha256:" + hex, at most two.
Result<std::vector<Digest>> FindByPrefix(Tx& tx, std::string_view hex) {
  // Ids are "sha256:" and lowercase hex, so those with the prefix sort between it and the
  // prefix followed by "g", the letter after "f": the primary key's index answers the range.
  const std::string low = fmt::format("{}{}", kSha256Prefix, hex);
  const std::string high = low + "g";
  std::vector<Digest> ids;
  BERTH_TRY(tx.Query("SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                     {low, high}, [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(Digest id, rows::ReadDigest(row, 0, "images.id"));
                       ids.push_back(std::move(id));
                       return {};
                     }));
  return ids;
}

Result<std::optional<Digest>> FindByName(Tx& tx, Reference ref) {
  // A name with a digest is found by the digest alone, as docker does: "app:1@sha256:..." is
  // "app@sha256:...".
  if (ref.digest) ref.tag.clear();
  std::optional<Digest> id;
  BERTH_TRY(tx.Query("SELECT image_id FROM names WHERE name = ?", {ref.String()},
                     [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(id, rows::ReadDigest(row, 0, "names.image_id"));
                       return {};
                     }));
  return id;
}

Result<Digest> ResolveIn(Tx& tx, std::string_view ref_or_id) {
  const std::optional<std::string_view> hex = IdHex(ref_or_id);
  if (hex && hex->size() == kSha256HexLength) {
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> ids, FindByPrefix(tx, *hex));
    if (ids.empty()) return Fail(rows::NoSuchImage(ref_or_id));
    return std::move(ids.front());
  }
  Result<Reference> ref = ParseReference(ref_or_id);
  if (ref) {
    BERTH_ASSIGN_OR_RETURN(std::optional<Digest> id, FindByName(tx, std::move(*ref)));
    if (id) return std::move(*id);
  } else if (!hex) {
    return Fail(std::move(ref).error().Wrap(fmt::format("resolve image {}", ref_or_id)));
  }
  if (hex) {
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> ids, FindByPrefix(tx, *hex));
    if (ids.size() > 1) {
      return Fail(
          ErrorKind::kConflict,
          fmt::format("image id prefix {} is ambiguous: more than one image has it", ref_or_id));
    }
    if (ids.size() == 1) return std::move(ids.front());
  }
  return Fail(rows::NoSuchImage(ref_or_id));
}

// An image without a creation time sorts before every other.
Time CreatedOrMin(const ImageRecord& image) { return image.created.value_or(Time::min()); }

bool MatchesLabels(const ImageRecord& image, const std::vector<std::string>& labels) {
  for (const std::string& label : labels) {
    const size_t eq = label.find('=');
    const std::string key = label.substr(0, eq);
    auto it = image.labels.find(key);
    if (it == image.labels.end()) return false;
    if (eq != std::string::npos && it->second != label.substr(eq + 1)) return false;
  }
  return true;
}

// MatchesReference is docker's reference filter: pattern against the familiar form of name
// ("busybox:latest"), its familiar repository ("busybox"), then its full form
// ("docker.io/library/busybox:latest") and full repository ("docker.io/library/busybox").
bool MatchesReference(const std::string& pattern, const Reference& name) {
  Reference repository = name;
  repository.tag.clear();
  repository.digest.reset();
  for (const std::string& form :
       {name.FamiliarString(), repository.FamiliarString(), name.String(), repository.String()}) {
    if (fnmatch(pattern.c_str(), form.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

// KeepMatchingNames leaves in image only the names that match one of patterns and says whether
// any is left.
bool KeepMatchingNames(ImageRecord& image, const std::vector<std::string>& patterns) {
  auto unmatched = [&](const Reference& name) {
    return std::none_of(patterns.begin(), patterns.end(),
                        [&](const std::string& p) { return MatchesReference(p, name); });
  };
  std::erase_if(image.tags, unmatched);
  std::erase_if(image.digests, unmatched);
  return !image.tags.empty() || !image.digests.empty();
}

// Bounds holds the creation times of the images that "before" and "since" name.
struct Bounds {
  std::optional<Time> before;
  std::optional<Time> since;
};

Result<std::optional<Time>> CreatedOf(Tx& tx, const std::optional<std::string>& ref_or_id,
                                      std::string_view filter) {
  if (!ref_or_id) return std::optional<Time>();
  Result<Digest> id = ResolveIn(tx, *ref_or_id);
  if (!id) return Fail(std::move(id).error().Wrap(fmt::format("filter {}", filter)));
  BERTH_ASSIGN_OR_RETURN(std::optional<ImageRecord> image, rows::LoadImage(tx, *id));
  if (!image) return Fail(rows::NoSuchImage(*ref_or_id));
  return std::optional<Time>(CreatedOrMin(*image));
}

Result<bool> HasChildren(Tx& tx, const Digest& id) {
  BERTH_ASSIGN_OR_RETURN(
      std::optional<int64_t> child,
      tx.QueryOne<int64_t>("SELECT 1 FROM images WHERE parent = ? LIMIT 1", {id.String()},
                           [](const Row& row) { return row.Int(0); }));
  return child.has_value();
}

// Selected applies filter to image (dropping the names that do not match its reference
// patterns) and says whether the image is listed.
Result<bool> Selected(Tx& tx, ImageRecord& image, const ImageFilter& filter, const Bounds& bounds) {
  const bool named = !image.tags.empty() || !image.digests.empty();
  if (filter.dangling.has_value() || !(filter.all || named)) {
    BERTH_ASSIGN_OR_RETURN(bool has_children, HasChildren(tx, image.id));
    if (filter.dangling == true && (!image.tags.empty() || has_children)) return false;
    if (!filter.all && !named && has_children) return false;
  }
  if (filter.dangling == false && !named) return false;
  if (!MatchesLabels(image, filter.labels)) return false;
  const Time created = CreatedOrMin(image);
  if (bounds.before && !(created < *bounds.before)) return false;
  if (bounds.since && !(created > *bounds.since)) return false;
  if (!filter.references.empty() && !KeepMatchingNames(image, filter.references)) return false;
  return true;
}

}  // namespace

Result<ImageRecord> Catalog::Resolve(std::string_view ref_or_id) const {
  std::optional<ImageRecord> image;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Digest id, ResolveIn(tx, ref_or_id));
    BERTH_ASSIGN_OR_RETURN(image, rows::LoadImage(tx, id));
    return {};
  });
  BERTH_TRY(read);
  if (!image) return Fail(rows::NoSuchImage(ref_or_id));
  return std::move(*image);
}

Result<std::vector<ImageRecord>> Catalog::ListImages(const ImageFilter& filter) const {
  std::vector<ImageRecord> images;
  Status read = db_->Read([&](Tx& tx) -> Status {
    images.clear();
    Bounds bounds;
    BERTH_ASSIGN_OR_RETURN(bounds.before, CreatedOf(tx, filter.before, "before"));
    BERTH_ASSIGN_OR_RETURN(bounds.since, CreatedOf(tx, filter.since, "since"));
    std::vector<Digest> ids;
    BERTH_TRY(tx.Query("SELECT id FROM images ORDER BY created IS NULL, created DESC, id", {},
                       [&](const Row& row) -> Status {
                         BERTH_ASSIGN_OR_RETURN(Digest id, rows::ReadDigest(row, 0, "images.id"));
                         ids.push_back(std::move(id));
                         return {};
                       }));
    for (const Digest& id : ids) {
      BERTH_ASSIGN_OR_RETURN(std::optional<ImageRecord> image, rows::LoadImage(tx, id));
      if (!image) continue;
      BERTH_ASSIGN_OR_RETURN(bool selected, Selected(tx, *image, filter, bounds));
      if (selected) images.push_back(std::move(*image));
    }
    return {};
  });
  BERTH_TRY(read);
  return images;
}

}  // namespace berth::image::metadata
