#include "image/snapshot/table.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

namespace berth::image::snapshot {
namespace {

using metadata::Row;
using metadata::Tx;
using metadata::Value;

constexpr std::array<std::string_view, 2> kSteps = {
    "CREATE TABLE snapshots ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " snapshotter TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " parent_id INTEGER REFERENCES snapshots(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),"
    " labels TEXT NOT NULL,"
    " created_ns INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL,"
    " size_bytes INTEGER,"
    " inodes INTEGER,"
    " UNIQUE (snapshotter, key));"
    "CREATE INDEX snapshots_by_parent ON snapshots(parent_id);",
    "ALTER TABLE snapshots ADD COLUMN pending_parent TEXT;"};

constexpr std::string_view kSelect =
    "SELECT s.id, s.kind, s.key, s.parent_id, p.key, s.labels, s.created_ns, s.updated_ns,"
    " s.size_bytes, s.inodes, s.pending_parent FROM snapshots s LEFT JOIN snapshots p ON p.id = "
    "s.parent_id";

int64_t Nanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromNanos(int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

std::string LabelsJson(const Labels& labels) { return nlohmann::json(labels).dump(); }

Result<Labels> ParseLabels(const std::string& text, int64_t id) {
  try {
    return nlohmann::json::parse(text).get<Labels>();
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kDataLoss, fmt::format("read labels of snapshot {}: {}", id, e.what()));
  }
}

Result<Kind> ParseKind(const std::string& text, int64_t id) {
  for (Kind kind : {Kind::kActive, Kind::kView, Kind::kCommitted}) {
    if (KindName(kind) == text) return kind;
  }
  return Fail(ErrorKind::kDataLoss, fmt::format("read kind of snapshot {}: \"{}\"", id, text));
}

Result<Record> ReadRecord(const Row& row) {
  Record r;
  r.id = row.Int(0);
  BERTH_ASSIGN_OR_RETURN(r.kind, ParseKind(row.Text(1), r.id));
  r.key = row.Text(2);
  if (!row.IsNull(3)) r.parent_id = row.Int(3);
  r.parent_key = row.Text(4);
  BERTH_ASSIGN_OR_RETURN(r.labels, ParseLabels(row.Text(5), r.id));
  r.created = FromNanos(row.Int(6));
  r.updated = FromNanos(row.Int(7));
  if (!row.IsNull(8)) r.usage = DiskUsage{.bytes = row.Int(8), .inodes = row.Int(9)};
  if (!row.IsNull(10)) r.pending_parent = row.Text(10);
  return r;
}

}  // namespace

Info Record::ToInfo() const {
  return Info{.kind = kind,
              .name = key,
              .parent = parent_key.empty() ? pending_parent : parent_key,
              .labels = labels,
              .created = created,
              .updated = updated};
}

Status Table::Migrate(metadata::Database& db) { return db.Migrate("snapshots", kSteps); }

Result<std::set<int64_t>> Table::AllIds(Tx& tx) {
  std::set<int64_t> ids;
  BERTH_TRY(tx.Query("SELECT id FROM snapshots", {}, [&](const Row& row) -> Status {
    ids.insert(row.Int(0));
    return Ok();
  }));
  return ids;
}

Result<std::optional<Record>> Table::Find(Tx& tx, std::string_view key) const {
  std::optional<Record> found;
  BERTH_TRY(tx.Query(fmt::format("{} WHERE s.snapshotter = ? AND s.key = ?", kSelect),
                     {snapshotter_, key}, [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(found, ReadRecord(row));
                       return Ok();
                     }));
  return found;
}

Result<int64_t> Table::Insert(Tx& tx, Kind kind, std::string_view key,
                              std::optional<int64_t> parent_id, std::string_view pending_parent,
                              const Labels& labels,
                              std::chrono::system_clock::time_point now) const {
  const Value parent = parent_id ? Value(*parent_id) : Value(nullptr);
  const Value pending = pending_parent.empty() ? Value(nullptr) : Value(pending_parent);
  const std::string labels_json = LabelsJson(labels);
  BERTH_TRY(
      Annotate(tx.Exec("INSERT INTO snapshots(snapshotter, key, parent_id, pending_parent,"
                       " kind, labels, created_ns, updated_ns) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                       {snapshotter_, key, parent, pending, KindName(kind), labels_json, Nanos(now),
                        Nanos(now)}),
               fmt::format("insert snapshot {}", key)));
  return tx.LastInsertRowId();
}

Status Table::MarkCommitted(Tx& tx, int64_t id, std::string_view name,
                            std::optional<int64_t> parent_id, const Labels& labels, DiskUsage usage,
                            std::chrono::system_clock::time_point now) const {
  const Value parent = parent_id ? Value(*parent_id) : Value(nullptr);
  const std::string labels_json = LabelsJson(labels);
  BERTH_ASSIGN_OR_RETURN(
      int64_t changed,
      Annotate(tx.Exec("UPDATE snapshots SET key = ?, kind = 'committed', parent_id = ?,"
                       " pending_parent = NULL, labels = ?, created_ns = ?, updated_ns = ?,"
                       " size_bytes = ?, inodes = ? WHERE id = ?",
                       {name, parent, labels_json, Nanos(now), Nanos(now), usage.bytes,
                        usage.inodes, id}),
               fmt::format("commit snapshot {} as {}", id, name)));
  if (changed != 1) return Fail(ErrorKind::kNotFound, fmt::format("commit snapshot {}: gone", id));
  return Ok();
}

Status Table::Delete(Tx& tx, int64_t id) const {
  return Annotate(tx.Exec("DELETE FROM snapshots WHERE id = ?", {id}),
                  fmt::format("delete snapshot {}", id))
      .map([](int64_t) {});
}

Result<bool> Table::HasChildren(Tx& tx, int64_t id) const {
  BERTH_ASSIGN_OR_RETURN(
      std::optional<int64_t> child,
      tx.QueryOne<int64_t>("SELECT id FROM snapshots WHERE parent_id = ? LIMIT 1", {id},
                           [](const Row& row) { return row.Int(0); }));
  return child.has_value();
}

Result<std::vector<int64_t>> Table::Ancestors(Tx& tx, int64_t id) const {
  std::vector<int64_t> ids;
  BERTH_TRY(
      tx.Query("WITH RECURSIVE chain(id, parent_id, depth) AS ("
               " SELECT id, parent_id, 0 FROM snapshots WHERE id = ?"
               " UNION ALL SELECT s.id, s.parent_id, c.depth + 1"
               " FROM snapshots s JOIN chain c ON s.id = c.parent_id)"
               " SELECT id FROM chain WHERE depth > 0 ORDER BY depth",
               {id}, [&](const Row& row) -> Status {
                 ids.push_back(row.Int(0));
                 return Ok();
               }));
  return ids;
}

Status Table::ForEach(Tx& tx, const std::function<Status(const Record&)>& fn) const {
  return tx.Query(fmt::format("{} WHERE s.snapshotter = ?", kSelect), {snapshotter_},
                  [&](const Row& row) -> Status {
                    BERTH_ASSIGN_OR_RETURN(Record r, ReadRecord(row));
                    return fn(r);
                  });
}

}  // namespace berth::image::snapshot
