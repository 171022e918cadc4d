#include "image/snapshot/overlay.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <vector>

#include "base/file.h"
#include "base/scope_exit.h"
#include "image/snapshot/mount.h"
#include "image/snapshot/plan.h"
#include "image/snapshot/tree.h"

namespace berth::image::snapshot {
namespace {

// Options every overlay mount gets. With its index feature on, overlayfs ties an upper layer to
// the lower layers it was first mounted over and refuses it over others; the option is turned off
// wherever the kernel has it.
std::vector<std::string> OverlayDefaults() {
  if (access("/sys/module/overlay/parameters/index", F_OK) == 0) return {"index=off"};
  return {};
}

// MatchRoot gives a new upper layer's root the owner and mode of the parent's root: overlayfs
// shows the upper root's attributes as those of the whole tree.
Status MatchRoot(const std::string& parent_fs, const std::string& fs) {
  struct stat st {};
  if (stat(parent_fs.c_str(), &st) < 0) return Fail(ErrnoNow("stat " + parent_fs));
  if (chown(fs.c_str(), st.st_uid, st.st_gid) < 0) return Fail(ErrnoNow("chown " + fs));
  if (chmod(fs.c_str(), st.st_mode & 07777) < 0) return Fail(ErrnoNow("chmod " + fs));
  return Ok();
}

class OverlayLayout final : public Layout {
 public:
  explicit OverlayLayout(std::vector<std::string> defaults) : defaults_(std::move(defaults)) {}

  std::string_view name() const override { return "overlay"; }

  // Every snapshot gets an fs (its upper layer, or for a view an unused empty one); an active
  // snapshot also the work directory overlayfs needs on the upper layer's filesystem.
  Status Fill(const std::string& dir, Kind kind, const std::string& parent_dir) override {
    const std::string fs = FsDir(dir);
    BERTH_TRY(MakeDirs(fs, 0755));
    if (kind == Kind::kActive) {
      BERTH_TRY(MakeDirs(WorkDir(dir), 0711));
      if (!parent_dir.empty()) BERTH_TRY(MatchRoot(FsDir(parent_dir), fs));
    }
    return Ok();
  }

  std::vector<Mount> Mounts(const Chain& chain) const override {
    return PlanOverlay(chain, defaults_);
  }

  // Without parents the fs is the whole tree, and nothing lies beneath to hide.
  Whiteouts WhiteoutsOf(const Chain& chain) const override {
    return chain.parents.empty() && !chain.parent_pending ? Whiteouts::kRemove
                                                          : Whiteouts::kOverlay;
  }

  SnapshotDirs DirsOf(const Chain& chain) const override {
    SnapshotDirs dirs{.tree = FsDir(chain.dir), .work = WorkDir(chain.dir), .lowers = {}};
    for (const std::string& parent : chain.parents) dirs.lowers.push_back(FsDir(parent));
    return dirs;
  }

  // An upper layer needs nothing of the layers beneath it until it is mounted on them.
  bool PreparesAhead() const override { return true; }

 private:
  std::vector<std::string> defaults_;
};

// Exercise deletes the lower file through the overlay (a whiteout) and writes a new one.
Status Exercise(const std::string& merged) {
  const std::string lower_file = merged + "/file";
  if (unlink(lower_file.c_str()) < 0) return Fail(ErrnoNow("unlink " + lower_file));
  return WriteFile(merged + "/new", "probe");
}

}  // namespace

Result<std::unique_ptr<Snapshotter>> OpenOverlay(metadata::Database* db, const std::string& root,
                                                 DirectoryOptions options) {
  return DirectorySnapshotter::Open(db, root, std::make_unique<OverlayLayout>(OverlayDefaults()),
                                    std::move(options));
}

Status ProbeOverlay(const std::string& root) {
  const std::string what = "probe overlay at " + root;
  BERTH_TRY(Annotate(MakeDirs(root + "/snapshots", 0700), what));
  // Under snapshots/ with the prefix of new trees: Cleanup removes it should a crash leave it.
  std::string dir = root + "/snapshots/new-probe-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return Fail(ErrnoNow("mkdtemp " + dir).Wrap(what));
  ScopeExit remove([&] { (void)RemoveTree(dir); });
  for (const char* sub : {"lower", "upper", "work", "merged"}) {
    BERTH_TRY(Annotate(MakeDirs(dir + "/" + sub, 0755), what));
  }
  BERTH_TRY(Annotate(WriteFile(dir + "/lower/file", "probe"), what));
  Mount overlay{.type = "overlay",
                .source = "overlay",
                .options = {"workdir=" + dir + "/work", "upperdir=" + dir + "/upper",
                            "lowerdir=" + dir + "/lower"}};
  for (const std::string& option : OverlayDefaults()) overlay.options.push_back(option);
  const std::string merged = dir + "/merged";
  BERTH_TRY(Annotate(MountAll({overlay}, merged), what));
  Status used = Exercise(merged);
  Status unmounted = UnmountAll(merged);
  BERTH_TRY(Annotate(used, what));
  BERTH_TRY(Annotate(unmounted, what));
  if (access((dir + "/lower/file").c_str(), F_OK) < 0) {
    return Fail(ErrorKind::kInternal,
                what + ": a deletion through the overlay reached the lower layer");
  }
  return Ok();
}

}  // namespace berth::image::snapshot
