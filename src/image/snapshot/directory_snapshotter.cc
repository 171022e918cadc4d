#include "image/snapshot/directory_snapshotter.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "image/snapshot/tree.h"

namespace berth::image::snapshot {
namespace {

using metadata::Tx;

std::chrono::system_clock::time_point Now() { return std::chrono::system_clock::now(); }

Result<std::string> MakeTempDir(const std::string& parent) {
  std::string path = parent + "/new-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) return Fail(ErrnoNow("mkdtemp " + path));
  return path;
}

// Place renames the new tree temp to dir. The caller holds the write transaction that just took
// dir's id, so a directory already there belongs to no row: debris of a crash that Cleanup has not
// removed yet. It goes first. The rename is not synced: what a power loss takes back, Cleanup
// builds again.
Status Place(const std::string& temp, const std::string& dir) {
  if (rename(temp.c_str(), dir.c_str()) < 0) {
    if (errno != EEXIST && errno != ENOTEMPTY) {
      return Fail(ErrnoNow(fmt::format("rename {} to {}", temp, dir)));
    }
    BERTH_TRY(RemoveTree(dir));
    if (rename(temp.c_str(), dir.c_str()) < 0) {
      return Fail(ErrnoNow(fmt::format("rename {} to {}", temp, dir)));
    }
  }
  return Ok();
}

bool Missing(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

Status NotActive(const Record& record) {
  return Fail(ErrorKind::kFailedPrecondition,
              fmt::format("snapshot {} is {}, not active", record.key, KindName(record.kind)));
}

}  // namespace

DirectorySnapshotter::DirectorySnapshotter(metadata::Database* db, const std::string& root,
                                           std::unique_ptr<Layout> layout, DirectoryOptions options)
    : db_(db),
      snapshots_dir_(root + "/snapshots"),
      layout_(std::move(layout)),
      table_(std::string(layout_->name())),
      options_(std::move(options)) {}

Result<std::unique_ptr<Snapshotter>> DirectorySnapshotter::Open(metadata::Database* db,
                                                                const std::string& root,
                                                                std::unique_ptr<Layout> layout,
                                                                DirectoryOptions options) {
  const std::string what = fmt::format("open {} snapshotter at {}", layout->name(), root);
  if (!root.starts_with('/')) {
    return Fail(ErrorKind::kInvalidArgument, what + ": the root must be an absolute path");
  }
  if (root.find_first_of(",:\\") != std::string::npos) {
    return Fail(ErrorKind::kInvalidArgument,
                what + ": overlay's mount options cannot name a path with ',', ':' or '\\'");
  }
  std::string clean = root;
  while (clean.size() > 1 && clean.ends_with('/')) clean.pop_back();
  BERTH_TRY(Annotate(Table::Migrate(*db), what));
  BERTH_TRY(Annotate(MakeDirs(clean + "/snapshots", 0700), what));
  return std::unique_ptr<Snapshotter>(
      new DirectorySnapshotter(db, clean, std::move(layout), std::move(options)));
}

std::string DirectorySnapshotter::DirOf(int64_t id) const {
  return fmt::format("{}/{}", snapshots_dir_, id);
}

Status DirectorySnapshotter::Read(std::string_view what,
                                  const std::function<Status(Tx&)>& fn) const {
  return Annotate(db_->Read(fn), what);
}

Status DirectorySnapshotter::Write(std::string_view what,
                                   const std::function<Status(Tx&)>& fn) const {
  return Annotate(db_->Write(fn), what);
}

void DirectorySnapshotter::After(Step step) const {
  if (options_.after_step) options_.after_step(step);
}

Result<Record> DirectorySnapshotter::Get(Tx& tx, std::string_view key) const {
  BERTH_ASSIGN_OR_RETURN(std::optional<Record> record, table_.Find(tx, key));
  if (!record) return Fail(ErrorKind::kNotFound, fmt::format("snapshot {} not found", key));
  return std::move(*record);
}

Result<Chain> DirectorySnapshotter::ChainOf(Tx& tx, const Record& record) const {
  BERTH_ASSIGN_OR_RETURN(std::vector<int64_t> ancestors, table_.Ancestors(tx, record.id));
  Chain chain{.kind = record.kind,
              .dir = DirOf(record.id),
              .parents = {},
              .parent_pending = !record.pending_parent.empty()};
  for (int64_t id : ancestors) chain.parents.push_back(DirOf(id));
  return chain;
}

Result<std::optional<Record>> DirectorySnapshotter::CheckNew(Tx& tx, std::string_view key,
                                                             std::string_view parent) const {
  BERTH_ASSIGN_OR_RETURN(std::optional<Record> existing, table_.Find(tx, key));
  if (existing) {
    return Fail(ErrorKind::kAlreadyExists,
                fmt::format("snapshot {} exists ({})", key, KindName(existing->kind)));
  }
  if (parent.empty()) return std::optional<Record>();
  BERTH_ASSIGN_OR_RETURN(std::optional<Record> p, table_.Find(tx, parent));
  if (!p) return Fail(ErrorKind::kNotFound, fmt::format("parent {} not found", parent));
  if (p->kind != Kind::kCommitted) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("parent {} is {}, not committed", parent, KindName(p->kind)));
  }
  return p;
}

Result<Chain> DirectorySnapshotter::Insert(Tx& tx, Kind kind, std::string_view key,
                                           std::string_view parent, std::string_view pending_parent,
                                           const Labels& labels, const std::string& filled_from,
                                           const std::string& temp, std::string* placed) {
  BERTH_ASSIGN_OR_RETURN(std::optional<Record> p, CheckNew(tx, key, parent));
  // The tree was filled from the parent's directory of the first check; a parent removed and
  // committed anew since then is another tree.
  if ((p ? DirOf(p->id) : "") != filled_from) {
    return Fail(ErrorKind::kConflict, fmt::format("parent {} changed meanwhile", parent));
  }
  BERTH_ASSIGN_OR_RETURN(int64_t id,
                         table_.Insert(tx, kind, key, p ? std::optional(p->id) : std::nullopt,
                                       pending_parent, labels, Now()));
  *placed = DirOf(id);
  BERTH_TRY(Place(temp, *placed));
  After(Step::kPlaced);
  BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
  return ChainOf(tx, record);
}

Result<Chain> DirectorySnapshotter::Create(Kind kind, std::string_view key, std::string_view parent,
                                           std::string_view pending_parent, const Labels& labels) {
  const std::string what =
      fmt::format("{} snapshot {}", kind == Kind::kView ? "view" : "prepare", key);
  if (key.empty()) return Fail(ErrorKind::kInvalidArgument, what + ": empty key");
  std::shared_lock lock(trees_mu_);
  // Checked before the tree is built (a copy takes long) and again when it is recorded.
  std::string parent_dir;
  BERTH_TRY(Read(what, [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<Record> p, CheckNew(tx, key, parent));
    if (p) parent_dir = DirOf(p->id);
    return Ok();
  }));
  BERTH_ASSIGN_OR_RETURN(std::string temp, Annotate(MakeTempDir(snapshots_dir_), what));
  std::string placed;
  ScopeExit discard([&] {
    (void)RemoveTree(temp);
    if (!placed.empty()) (void)RemoveTree(placed);
  });
  BERTH_TRY(Annotate(layout_->Fill(temp, kind, parent_dir), what));
  After(Step::kFilled);
  Chain chain;
  BERTH_TRY(Write(what, [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(
        chain, Insert(tx, kind, key, parent, pending_parent, labels, parent_dir, temp, &placed));
    return Ok();
  }));
  discard.Dismiss();
  return chain;
}

Result<std::vector<Mount>> DirectorySnapshotter::Prepare(std::string_view key,
                                                         std::string_view parent,
                                                         const Labels& labels) {
  BERTH_ASSIGN_OR_RETURN(Chain chain, Create(Kind::kActive, key, parent, "", labels));
  return layout_->Mounts(chain);
}

Result<std::vector<Mount>> DirectorySnapshotter::View(std::string_view key, std::string_view parent,
                                                      const Labels& labels) {
  BERTH_ASSIGN_OR_RETURN(Chain chain, Create(Kind::kView, key, parent, "", labels));
  return layout_->Mounts(chain);
}

Result<LayerDir> DirectorySnapshotter::PrepareAhead(std::string_view key, std::string_view parent,
                                                    const Labels& labels) {
  if (!parent.empty() && !layout_->PreparesAhead()) {
    return Fail(ErrorKind::kNotImplemented,
                fmt::format("prepare snapshot {} ahead of {}: the {} snapshotter starts a tree as "
                            "a copy of its parent's, which must be committed first",
                            key, parent, layout_->name()));
  }
  BERTH_ASSIGN_OR_RETURN(Chain chain, Create(Kind::kActive, key, "", parent, labels));
  return LayerDir{.path = FsDir(chain.dir), .whiteouts = layout_->WhiteoutsOf(chain)};
}

Result<std::vector<Mount>> DirectorySnapshotter::Mounts(std::string_view key) {
  Chain chain;
  BERTH_TRY(Read(fmt::format("mounts of snapshot {}", key), [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    if (record.kind == Kind::kCommitted) {
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("snapshot {} is committed: mount a View of it", key));
    }
    if (!record.pending_parent.empty()) {
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("snapshot {} was prepared ahead of its parent {}: it has no mounts "
                              "before it is committed",
                              key, record.pending_parent));
    }
    BERTH_ASSIGN_OR_RETURN(chain, ChainOf(tx, record));
    return Ok();
  }));
  return layout_->Mounts(chain);
}

Result<std::optional<int64_t>> DirectorySnapshotter::ParentAtCommit(Tx& tx,
                                                                    const Record& record) const {
  if (record.pending_parent.empty()) return record.parent_id;
  BERTH_ASSIGN_OR_RETURN(std::optional<Record> parent, table_.Find(tx, record.pending_parent));
  if (!parent || parent->kind != Kind::kCommitted) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("its parent {} is not committed yet", record.pending_parent));
  }
  return std::optional<int64_t>(parent->id);
}

Status DirectorySnapshotter::Commit(std::string_view name, std::string_view key,
                                    const Labels& labels) {
  const std::string what = fmt::format("commit snapshot {} as {}", key, name);
  if (name.empty() || key.empty()) {
    return Fail(ErrorKind::kInvalidArgument, what + ": empty key or name");
  }
  int64_t id = 0;
  BERTH_TRY(Read(what, [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    if (record.kind != Kind::kActive) return NotActive(record);
    BERTH_ASSIGN_OR_RETURN(std::optional<Record> taken, table_.Find(tx, name));
    if (taken) return Fail(ErrorKind::kAlreadyExists, fmt::format("snapshot {} exists", name));
    // Refused before the sync below, which a commit in the wrong order need not wait for.
    if (Result<std::optional<int64_t>> parent = ParentAtCommit(tx, record); !parent) {
      return Fail(std::move(parent).error());
    }
    id = record.id;
    return Ok();
  }));
  // The content reaches the disk before the row says it is committed: a committed layer is never
  // half there after a power loss.
  const std::string fs = FsDir(DirOf(id));
  BERTH_TRY(Annotate(SyncFilesystem(fs), what));
  BERTH_ASSIGN_OR_RETURN(DiskUsage usage, Annotate(MeasureTree(fs), what));
  return Write(what, [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    if (record.id != id || record.kind != Kind::kActive) return NotActive(record);
    BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> parent_id, ParentAtCommit(tx, record));
    return table_.MarkCommitted(tx, id, name, parent_id, labels, usage, Now());
  });
}

Status DirectorySnapshotter::Remove(std::string_view key) {
  const std::string what = fmt::format("remove snapshot {}", key);
  int64_t id = 0;
  BERTH_TRY(Write(what, [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    BERTH_ASSIGN_OR_RETURN(bool has_children, table_.HasChildren(tx, record.id));
    if (has_children) {
      return Fail(ErrorKind::kFailedPrecondition, fmt::format("snapshot {} has children", key));
    }
    id = record.id;
    return table_.Delete(tx, id);
  }));
  After(Step::kRemoved);
  // The snapshot is gone with its row; a tree that cannot be deleted now is Cleanup's.
  if (Status removed = RemoveTree(DirOf(id)); !removed) {
    log::Warn("{}: {}; Cleanup deletes it later", what, removed.error().message());
  }
  return Ok();
}

Result<Info> DirectorySnapshotter::Stat(std::string_view key) {
  Info info;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    info = record.ToInfo();
    return Ok();
  }));
  return info;
}

Status DirectorySnapshotter::Walk(const std::function<Status(const Info&)>& fn) {
  std::vector<Info> infos;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    return table_.ForEach(tx, [&](const Record& record) -> Status {
      infos.push_back(record.ToInfo());
      return Ok();
    });
  }));
  for (const Info& info : infos) BERTH_TRY(fn(info));
  return Ok();
}

Result<DiskUsage> DirectorySnapshotter::Usage(std::string_view key) {
  Record record;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(record, Get(tx, key));
    return Ok();
  }));
  if (record.usage) return *record.usage;
  return Annotate(MeasureTree(FsDir(DirOf(record.id))), fmt::format("usage of snapshot {}", key));
}

Result<LayerDir> DirectorySnapshotter::Path(std::string_view key) {
  Chain chain;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    if (record.kind != Kind::kActive) return NotActive(record);
    BERTH_ASSIGN_OR_RETURN(chain, ChainOf(tx, record));
    return Ok();
  }));
  return LayerDir{.path = FsDir(chain.dir), .whiteouts = layout_->WhiteoutsOf(chain)};
}

Result<SnapshotDirs> DirectorySnapshotter::Dirs(std::string_view key) {
  Chain chain;
  BERTH_TRY(Read(fmt::format("directories of snapshot {}", key), [&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(Record record, Get(tx, key));
    if (record.kind == Kind::kView) {
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("snapshot {} is a view: it has no tree of its own", key));
    }
    BERTH_ASSIGN_OR_RETURN(chain, ChainOf(tx, record));
    return Ok();
  }));
  return layout_->DirsOf(chain);
}

Status DirectorySnapshotter::Rebuild(const Record& record) {
  const std::string dir = DirOf(record.id);
  const std::string what = fmt::format("rebuild the lost tree of snapshot {}", record.key);
  BERTH_ASSIGN_OR_RETURN(std::string temp, Annotate(MakeTempDir(snapshots_dir_), what));
  ScopeExit discard([&] { (void)RemoveTree(temp); });
  BERTH_TRY(Annotate(
      layout_->Fill(temp, record.kind, record.parent_id ? DirOf(*record.parent_id) : ""), what));
  if (rename(temp.c_str(), dir.c_str()) < 0) {
    return Fail(ErrnoNow(fmt::format("{}: rename {} to {}", what, temp, dir)));
  }
  discard.Dismiss();
  log::Warn("cleanup: {} built again, empty (it was lost before it reached the disk)", dir);
  return Ok();
}

Status DirectorySnapshotter::Cleanup() {
  std::unique_lock lock(trees_mu_);
  std::set<int64_t> ids;
  std::vector<Record> lost;
  BERTH_TRY(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(ids, Table::AllIds(tx));
    return table_.ForEach(tx, [&](const Record& record) -> Status {
      if (record.kind != Kind::kCommitted && Missing(DirOf(record.id))) lost.push_back(record);
      return Ok();
    });
  }));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(snapshots_dir_));
  Status result = Ok();
  for (const std::string& name : names) {
    Result<int64_t> id = ParseInt64(name);
    if (id && ids.contains(*id) && std::to_string(*id) == name) continue;
    const std::string path = snapshots_dir_ + "/" + name;
    Status removed = RemoveTree(path);
    if (removed) {
      log::Info("cleanup: removed {}, which no snapshot owns", path);
    } else if (result) {
      result = Fail(std::move(removed).error().Wrap("clean up " + snapshots_dir_));
    }
  }
  for (const Record& record : lost) {
    if (Status rebuilt = Rebuild(record); !rebuilt && result) result = std::move(rebuilt);
  }
  return result;
}

}  // namespace berth::image::snapshot
