#include "registry/server/catalog.h"

#include <array>
#include <string_view>

namespace berth::registry::server {
namespace {

using image::metadata::Row;
using image::metadata::Tx;

constexpr std::array<std::string_view, 1> kSchema = {
    R"sql(
CREATE TABLE registry_blobs (
  repo TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE TABLE registry_manifests (
  repo TEXT NOT NULL,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE TABLE registry_manifest_refs (
  repo TEXT NOT NULL,
  manifest TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (repo, manifest, digest),
  FOREIGN KEY (repo, manifest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE
);
CREATE TABLE registry_tags (
  repo TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (repo, tag),
  FOREIGN KEY (repo, digest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE
);
)sql"};

Result<std::optional<ManifestRecord>> OneManifest(
    Tx& tx, std::string_view sql, std::initializer_list<image::metadata::Value> args) {
  std::optional<ManifestRecord> found;
  BERTH_TRY(tx.Query(sql, args, [&](const Row& row) -> Status {
    BERTH_ASSIGN_OR_RETURN(Digest digest, Digest::Parse(row.Text(0)));
    found = ManifestRecord{std::move(digest), row.Text(1)};
    return Ok();
  }));
  return found;
}

// Limit is SQLite's LIMIT for an optional n (-1: none).
int64_t Limit(std::optional<uint64_t> n) {
  return n && *n < static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(*n) : -1;
}

}  // namespace

Result<Catalog> Catalog::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<image::metadata::Database> db,
                         image::metadata::Database::Open(path));
  BERTH_TRY(db->Migrate("registry", kSchema));
  return Catalog(std::move(db));
}

Status Catalog::LinkBlob(const std::string& repo, const Digest& digest) {
  std::string d = digest.String();
  return db_->Write([&](Tx& tx) -> Status {
    BERTH_TRY(
        tx.Exec("INSERT OR IGNORE INTO registry_blobs (repo, digest) VALUES (?, ?)", {repo, d}));
    return Ok();
  });
}

Result<bool> Catalog::HasBlob(const std::string& repo, const Digest& digest) {
  std::string d = digest.String();
  bool found = false;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    return tx.Query("SELECT 1 FROM registry_blobs WHERE repo = ? AND digest = ?", {repo, d},
                    [&](const Row&) -> Status {
                      found = true;
                      return Ok();
                    });
  }));
  return found;
}

Status Catalog::UnlinkBlob(const std::string& repo, const Digest& digest) {
  std::string d = digest.String();
  return db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM registry_blobs WHERE repo = ? AND "
                                              "digest = ?",
                                              {repo, d}));
    if (n == 0) return Fail(ErrorKind::kNotFound, "blob " + d + " is not in " + repo);
    return Ok();
  });
}

Status Catalog::PutManifest(const std::string& repo, const ManifestRecord& manifest,
                            const std::vector<Digest>& references, const std::string& tag) {
  std::string d = manifest.digest.String();
  return db_->Write([&](Tx& tx) -> Status {
    // An upsert, not a REPLACE: replacing the row would cascade to its tags and references.
    BERTH_TRY(
        tx.Exec("INSERT INTO registry_manifests (repo, digest, media_type) VALUES (?, ?, ?) "
                "ON CONFLICT (repo, digest) DO UPDATE SET media_type = excluded.media_type",
                {repo, d, manifest.media_type}));
    for (const Digest& reference : references) {
      std::string r = reference.String();
      BERTH_TRY(
          tx.Exec("INSERT OR IGNORE INTO registry_manifest_refs (repo, manifest, digest) "
                  "VALUES (?, ?, ?)",
                  {repo, d, r}));
    }
    if (!tag.empty()) {
      BERTH_TRY(tx.Exec("INSERT OR REPLACE INTO registry_tags (repo, tag, digest) VALUES (?, ?, ?)",
                        {repo, tag, d}));
    }
    return Ok();
  });
}

Result<std::optional<ManifestRecord>> Catalog::FindManifest(const std::string& repo,
                                                            const Digest& digest) {
  std::string d = digest.String();
  std::optional<ManifestRecord> found;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(found, OneManifest(tx,
                                              "SELECT digest, media_type FROM registry_manifests "
                                              "WHERE repo = ? AND digest = ?",
                                              {repo, d}));
    return Ok();
  }));
  return found;
}

Result<std::optional<ManifestRecord>> Catalog::ResolveTag(const std::string& repo,
                                                          const std::string& tag) {
  std::optional<ManifestRecord> found;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(
        found, OneManifest(tx,
                           "SELECT m.digest, m.media_type FROM registry_tags t JOIN "
                           "registry_manifests m ON m.repo = t.repo AND m.digest = t.digest "
                           "WHERE t.repo = ? AND t.tag = ?",
                           {repo, tag}));
    return Ok();
  }));
  return found;
}

Status Catalog::DeleteManifest(const std::string& repo, const Digest& digest) {
  std::string d = digest.String();
  return db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("DELETE FROM registry_manifests WHERE repo = ? AND digest = ?", {repo, d}));
    if (n == 0) return Fail(ErrorKind::kNotFound, "manifest " + d + " is not in " + repo);
    return Ok();
  });
}

Status Catalog::DeleteTag(const std::string& repo, const std::string& tag) {
  return db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("DELETE FROM registry_tags WHERE repo = ? AND tag = ?", {repo, tag}));
    if (n == 0) return Fail(ErrorKind::kNotFound, "tag " + tag + " is not in " + repo);
    return Ok();
  });
}

Result<std::vector<std::string>> Catalog::Tags(const std::string& repo, std::optional<uint64_t> n,
                                               const std::string& last) {
  std::vector<std::string> tags;
  bool known = false;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Query("SELECT 1 FROM registry_manifests WHERE repo = ? LIMIT 1", {repo},
                       [&](const Row&) -> Status {
                         known = true;
                         return Ok();
                       }));
    return tx.Query("SELECT tag FROM registry_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?",
                    {repo, last, Limit(n)}, [&](const Row& row) -> Status {
                      tags.push_back(row.Text(0));
                      return Ok();
                    });
  });
  if (!read) return Fail(std::move(read).error());
  if (!known) return Fail(ErrorKind::kNotFound, "repository " + repo + " is not known");
  return tags;
}

Result<std::vector<std::string>> Catalog::Repositories(std::optional<uint64_t> n,
                                                       const std::string& last) {
  std::vector<std::string> repos;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    return tx.Query(
        "SELECT repo FROM (SELECT repo FROM registry_manifests UNION SELECT repo FROM "
        "registry_blobs) WHERE repo > ? ORDER BY repo LIMIT ?",
        {last, Limit(n)}, [&](const Row& row) -> Status {
          repos.push_back(row.Text(0));
          return Ok();
        });
  }));
  return repos;
}

Result<std::vector<Digest>> Catalog::Referenced() {
  std::vector<Digest> digests;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    return tx.Query(
        "SELECT digest FROM registry_manifests UNION SELECT digest FROM registry_manifest_refs", {},
        [&](const Row& row) -> Status {
          BERTH_ASSIGN_OR_RETURN(Digest digest, Digest::Parse(row.Text(0)));
          digests.push_back(std::move(digest));
          return Ok();
        });
  }));
  return digests;
}

Status Catalog::ForgetBlob(const Digest& digest) {
  std::string d = digest.String();
  return db_->Write([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Exec("DELETE FROM registry_blobs WHERE digest = ?", {d}));
    return Ok();
  });
}

}  // namespace berth::registry::server
