// The snapshots table of the metadata database, owned by snapshot/ (migration owner "snapshots"):
//
//   snapshots(id          INTEGER PRIMARY KEY AUTOINCREMENT -- names the directory snapshots/<id>
//             snapshotter TEXT     -- "overlay", "native": each snapshotter sees only its rows
//             key         TEXT     -- the key, or the name once committed
//             parent_id   INTEGER REFERENCES snapshots(id) -- NULL: no parent
//             kind        TEXT     -- "active", "view", "committed"
//             labels      TEXT     -- a JSON object of strings
//             created_ns, updated_ns INTEGER  -- nanoseconds since the Unix epoch
//             size_bytes, inodes     INTEGER  -- usage recorded at commit, NULL before
//             pending_parent TEXT     -- prepared ahead: the key of the parent it will be
//                                     -- committed on (parent_id is NULL until then); else NULL
//             UNIQUE(snapshotter, key))
//
// AUTOINCREMENT keeps ids of removed rows from coming back, so a directory that outlived its row
// is never mistaken for a new snapshot's. Table holds no state but the snapshotter's name; its
// methods run inside the caller's transaction (metadata::Tx), which serialises them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/metadata/database.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::snapshot {

struct Record {
  int64_t id = 0;
  Kind kind = Kind::kActive;
  std::string key;
  std::optional<int64_t> parent_id;
  std::string parent_key;  // empty when there is no parent
  // Prepared ahead: the key its parent will have; empty otherwise (and once committed).
  std::string pending_parent;
  Labels labels;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point updated;
  std::optional<DiskUsage> usage;  // set once committed

  Info ToInfo() const;
};

class Table {
 public:
  explicit Table(std::string snapshotter) : snapshotter_(std::move(snapshotter)) {}

  // Migrate creates or upgrades the snapshots table.
  static Status Migrate(metadata::Database& db);
  // AllIds lists the ids of every snapshotter's rows.
  static Result<std::set<int64_t>> AllIds(metadata::Tx& tx);

  Result<std::optional<Record>> Find(metadata::Tx& tx, std::string_view key) const;
  // Insert adds a row and returns its id; a taken key is kAlreadyExists. pending_parent is set
  // only for a snapshot prepared ahead (parent_id then empty).
  Result<int64_t> Insert(metadata::Tx& tx, Kind kind, std::string_view key,
                         std::optional<int64_t> parent_id, std::string_view pending_parent,
                         const Labels& labels, std::chrono::system_clock::time_point now) const;
  // MarkCommitted renames row id to name, makes it committed on parent_id and records labels and
  // usage.
  Status MarkCommitted(metadata::Tx& tx, int64_t id, std::string_view name,
                       std::optional<int64_t> parent_id, const Labels& labels, DiskUsage usage,
                       std::chrono::system_clock::time_point now) const;
  Status Delete(metadata::Tx& tx, int64_t id) const;
  Result<bool> HasChildren(metadata::Tx& tx, int64_t id) const;
  // Ancestors lists the ids above id: its parent first, the bottom of the chain last.
  Result<std::vector<int64_t>> Ancestors(metadata::Tx& tx, int64_t id) const;
  Status ForEach(metadata::Tx& tx, const std::function<Status(const Record&)>& fn) const;

 private:
  std::string snapshotter_;
};

}  // namespace berth::image::snapshot
