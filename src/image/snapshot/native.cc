#include "image/snapshot/native.h"

#include "base/file.h"
#include "image/snapshot/plan.h"
#include "image/snapshot/tree.h"

namespace berth::image::snapshot {
namespace {

class NativeLayout final : public Layout {
 public:
  std::string_view name() const override { return "native"; }

  // An active snapshot starts as a copy of its parent's whole tree; a view shows the parent's
  // tree itself (committed trees never change), so its own stays empty.
  Status Fill(const std::string& dir, Kind kind, const std::string& parent_dir) override {
    const std::string fs = FsDir(dir);
    BERTH_TRY(MakeDirs(fs, 0755));
    if (kind == Kind::kActive && !parent_dir.empty()) {
      BERTH_TRY(CopyTree(FsDir(parent_dir), fs));
      BERTH_TRY(SyncFilesystem(fs));
    }
    return Ok();
  }

  std::vector<Mount> Mounts(const Chain& chain) const override { return PlanNative(chain); }

  Whiteouts WhiteoutsOf(const Chain&) const override { return Whiteouts::kRemove; }

  SnapshotDirs DirsOf(const Chain& chain) const override {
    return SnapshotDirs{.tree = FsDir(chain.dir), .work = "", .lowers = {}};
  }

  // A tree starts as a copy of its parent's, and a deletion removes the parent's file from it.
  bool PreparesAhead() const override { return false; }
};

}  // namespace

Result<std::unique_ptr<Snapshotter>> OpenNative(metadata::Database* db, const std::string& root,
                                                DirectoryOptions options) {
  return DirectorySnapshotter::Open(db, root, std::make_unique<NativeLayout>(), std::move(options));
}

}  // namespace berth::image::snapshot
