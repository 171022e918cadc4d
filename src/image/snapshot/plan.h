// Mount planning: the mounts that show one snapshot, computed from its chain of directories
// without touching the filesystem. Both snapshotters keep a snapshot's tree in <dir>/fs; the
// overlay snapshotter also keeps the overlay work directory in <dir>/work. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "image/snapshot/mount.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::snapshot {

// Chain is a snapshot and its committed ancestors, as their directories (root/snapshots/<id>).
struct Chain {
  Kind kind = Kind::kActive;
  std::string dir;
  std::vector<std::string> parents;  // the parent first, the bottom layer last
  bool parent_pending = false;       // prepared ahead: its parent is linked at Commit
};

std::string FsDir(const std::string& snapshot_dir);    // <dir>/fs
std::string WorkDir(const std::string& snapshot_dir);  // <dir>/work

// PlanOverlay: an active snapshot without parent is a writable bind mount of its fs; with parents,
// an overlay with its fs as upperdir and the parents' fs as lowerdirs (the parent on top). A view
// of no parent is a read-only bind of its own (empty) fs, of one parent a read-only bind of that
// parent's fs, of more an overlay of lowerdirs only. extra_options go to every overlay (e.g.
// "index=off").
std::vector<Mount> PlanOverlay(const Chain& chain, const std::vector<std::string>& extra_options);

// PlanNative: an active snapshot is a writable bind mount of its own fs (a full copy of its
// parent's tree); a view is a read-only bind of its parent's fs (its own when it has no parent).
std::vector<Mount> PlanNative(const Chain& chain);

}  // namespace berth::image::snapshot
