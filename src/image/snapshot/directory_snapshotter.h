// DirectorySnapshotter: the Snapshotter both implementations share. It keeps one row per snapshot
// in the snapshots table (table.h) and one directory per snapshot, root/snapshots/<id>, and leaves
// to a Layout (overlay.h, native.h) what goes into a new directory and which mounts show it.
// Crash safety comes from the order of the work: a new tree is built under a temporary name
// (snapshots/new-*) and renamed to snapshots/<id> inside the transaction that inserts its row,
// before that transaction commits; Remove deletes the row first and the tree after. A crash of
// the process thus leaves a row with its whole tree, or a tree without a row that Cleanup deletes;
// never a row without its tree. The rename is not synced (a container's start would wait for
// two syncs): after a power loss an active snapshot or a view may have a row and no tree, and
// Cleanup builds that tree again as it was made. Committed trees are synced before their commit.
// The Database is borrowed and must outlive the snapshotter. One process uses a root at a time;
// within it, every method is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "image/metadata/database.h"
#include "image/snapshot/plan.h"
#include "image/snapshot/snapshotter.h"
#include "image/snapshot/table.h"

namespace berth::image::snapshot {

// Layout is what differs between snapshotters.
class Layout {
 public:
  virtual ~Layout() = default;
  virtual std::string_view name() const = 0;
  // Fill populates dir, a new empty directory, for a snapshot of kind on parent_dir (the parent's
  // snapshot directory, empty for none), and syncs the content it copied, if any (not the
  // directories it made: see Cleanup).
  virtual Status Fill(const std::string& dir, Kind kind, const std::string& parent_dir) = 0;
  virtual std::vector<Mount> Mounts(const Chain& chain) const = 0;
  // Whiteouts says how a layer written into the fs of an active snapshot records deletions.
  virtual Whiteouts WhiteoutsOf(const Chain& chain) const = 0;
  virtual SnapshotDirs DirsOf(const Chain& chain) const = 0;
  // PreparesAhead: a tree holds only its own layer's changes, so it can be filled before its
  // parent exists (Snapshotter::PrepareAhead).
  virtual bool PreparesAhead() const = 0;
};

// The points of Prepare and Remove at which a crash is of interest, in order.
enum class Step {
  kFilled,   // Prepare: the tree is complete under its temporary name; no row
  kPlaced,   // Prepare: the tree is at snapshots/<id> and its row inserted, not yet committed
  kRemoved,  // Remove: the row is deleted (committed); the tree is still there
};

struct DirectoryOptions {
  // Called at each Step; tests use it to end a process there.
  std::function<void(Step)> after_step;
};

class DirectorySnapshotter final : public Snapshotter {
 public:
  // Open migrates the snapshots table and creates root/snapshots. A root that overlay's mount
  // options cannot name (one holding ',', ':' or '\') is kInvalidArgument.
  static Result<std::unique_ptr<Snapshotter>> Open(metadata::Database* db, const std::string& root,
                                                   std::unique_ptr<Layout> layout,
                                                   DirectoryOptions options = {});

  std::string_view name() const override { return layout_->name(); }
  Result<std::vector<Mount>> Prepare(std::string_view key, std::string_view parent,
                                     const Labels& labels) override;
  Result<std::vector<Mount>> View(std::string_view key, std::string_view parent,
                                  const Labels& labels) override;
  Result<std::vector<Mount>> Mounts(std::string_view key) override;
  Status Commit(std::string_view name, std::string_view key, const Labels& labels) override;
  Status Remove(std::string_view key) override;
  Result<Info> Stat(std::string_view key) override;
  Status Walk(const std::function<Status(const Info&)>& fn) override;
  Result<DiskUsage> Usage(std::string_view key) override;
  Result<LayerDir> Path(std::string_view key) override;
  Result<SnapshotDirs> Dirs(std::string_view key) override;
  bool PreparesAhead() const override { return layout_->PreparesAhead(); }
  Result<LayerDir> PrepareAhead(std::string_view key, std::string_view parent,
                                const Labels& labels) override;
  Status Cleanup() override;

 private:
  DirectorySnapshotter(metadata::Database* db, const std::string& root,
                       std::unique_ptr<Layout> layout, DirectoryOptions options);

  // Create makes a snapshot of kind on parent, or (pending_parent set, parent empty) an active
  // one prepared ahead, and returns its chain.
  Result<Chain> Create(Kind kind, std::string_view key, std::string_view parent,
                       std::string_view pending_parent, const Labels& labels);
  // CheckNew verifies that key is free and parent committed; returns the parent's row.
  Result<std::optional<Record>> CheckNew(metadata::Tx& tx, std::string_view key,
                                         std::string_view parent) const;
  // Insert records the snapshot and moves its tree from temp to its place (placed), in tx.
  // filled_from is the parent directory the tree was filled from.
  Result<Chain> Insert(metadata::Tx& tx, Kind kind, std::string_view key, std::string_view parent,
                       std::string_view pending_parent, const Labels& labels,
                       const std::string& filled_from, const std::string& temp,
                       std::string* placed);
  // ParentAtCommit is the id of the parent record will have once committed: its own, or for one
  // prepared ahead that of its pending parent, which must be committed (kFailedPrecondition).
  Result<std::optional<int64_t>> ParentAtCommit(metadata::Tx& tx, const Record& record) const;
  Result<Record> Get(metadata::Tx& tx, std::string_view key) const;
  Result<Chain> ChainOf(metadata::Tx& tx, const Record& record) const;
  // Rebuild makes the tree of an active snapshot or view whose directory a power loss took.
  Status Rebuild(const Record& record);
  std::string DirOf(int64_t id) const;
  // Read and Write run fn in a transaction and prepend what to its error.
  Status Read(std::string_view what, const std::function<Status(metadata::Tx&)>& fn) const;
  Status Write(std::string_view what, const std::function<Status(metadata::Tx&)>& fn) const;
  void After(Step step) const;

  metadata::Database* db_;
  std::string snapshots_dir_;  // root/snapshots
  std::unique_ptr<Layout> layout_;
  Table table_;
  DirectoryOptions options_;
  // Held shared while a new tree exists under a temporary name, exclusively by Cleanup, which
  // would take such a tree for debris.
  std::shared_mutex trees_mu_;
};

}  // namespace berth::image::snapshot
