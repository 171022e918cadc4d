// Snapshotter: the contract every snapshotter (overlay, native) keeps. It hands out filesystem
// trees as mounts, described as data (mount.h) and applied by the caller. Implementations keep
// their state in the shared metadata database and their trees under their own root; the
// snapshotter owns both, callers own only the mounts they apply. Thread-safety: every method may
// be called from several threads at once.
//
// Vocabulary (containerd's). A snapshot is a filesystem tree, named by a key that is unique among
// the snapshots of one snapshotter. Its parent is a committed snapshot (or none: an empty tree);
// the snapshot starts with the parent's content.
//  - active:    made by Prepare; writable through its mounts. The only kind Commit accepts.
//  - view:      made by View; a read-only look at its parent. It cannot be committed.
//  - committed: made by Commit from an active snapshot, under a new key (its name); immutable.
//               Only a committed snapshot may be a parent.
// Lifecycle. Importing a layer: Prepare("extract-1", parent) → apply the mounts (or write into
// Path) → unpack → unmount → Commit(chain id, "extract-1"). Importing the layers of an image at
// once, where the snapshotter can (PreparesAhead): PrepareAhead("extract-N", chain id of N-1) for
// every layer → unpack them all into their directories → Commit them base first. Running a
// container: Prepare(id, image top) → mounts for the rootfs → Remove(id) when done. A snapshot is
// removed only after its children are. The caller unmounts a snapshot before Commit or Remove.
// Errors. kNotFound: no snapshot has the key (or the parent). kAlreadyExists: the key (or the
// commit's name) is taken. kFailedPrecondition: the snapshot is of the wrong kind for the call
// (a parent that is not committed, Commit of a view or committed snapshot, Mounts of a committed
// one or of one prepared ahead, Path of one not active, Dirs of a view, Commit of a snapshot
// prepared ahead before its parent is committed) or Remove of a snapshot with children.
// kNotImplemented: PrepareAhead on a snapshotter that cannot prepare ahead. kConflict: a concurrent
// call replaced the parent or the snapshot meanwhile. kInvalidArgument: an empty key or name.
// Anything else comes from the filesystem or the database, with its errno and kind.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/snapshot/mount.h"

namespace berth::image::snapshot {

enum class Kind { kActive, kView, kCommitted };

std::string_view KindName(Kind kind);  // "active", "view", "committed"

using Labels = std::map<std::string, std::string>;

struct Info {
  Kind kind = Kind::kActive;
  std::string name;    // the key
  std::string parent;  // the parent's key; empty when there is none
  Labels labels;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point updated;
  bool operator==(const Info&) const = default;
};

// DiskUsage counts what a snapshot's own tree occupies (not its parents'): the blocks of every
// inode, each hard-linked inode once.
struct DiskUsage {
  int64_t bytes = 0;
  int64_t inodes = 0;
};

// How a layer extractor records a deletion when it writes into a LayerDir.
enum class Whiteouts {
  // The directory is the whole tree: delete the path (and a directory's children for an opaque
  // directory).
  kRemove,
  // The directory is an overlay upper layer over the parents: a deleted NAME becomes a character
  // device 0/0, and an opaque directory gets the xattr trusted.overlay.opaque="y".
  kOverlay,
};

// LayerDir is where a layer extractor writes an active snapshot's changes without mounting it.
struct LayerDir {
  std::string path;
  Whiteouts whiteouts = Whiteouts::kRemove;
};

// SnapshotDirs are the directories that hold an active or committed snapshot on the host.
struct SnapshotDirs {
  std::string tree;  // the snapshot's own tree: overlay's upper layer, native's whole copy
  std::string work;  // overlay's work directory, beside the tree; empty on native
  // The trees of the committed snapshots beneath, the parent first (overlay's lower layers);
  // empty on native, whose tree holds its parents' files.
  std::vector<std::string> lowers;
  bool operator==(const SnapshotDirs&) const = default;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  // The name the snapshotter's rows carry in the database ("overlay", "native").
  virtual std::string_view name() const = 0;

  // Prepare makes an active snapshot key on parent ("" for none) and returns its writable mounts.
  virtual Result<std::vector<Mount>> Prepare(std::string_view key, std::string_view parent,
                                             const Labels& labels = {}) = 0;
  // View makes a view key of parent and returns its read-only mounts.
  virtual Result<std::vector<Mount>> View(std::string_view key, std::string_view parent,
                                          const Labels& labels = {}) = 0;
  // Mounts returns again the mounts of an active snapshot or a view.
  virtual Result<std::vector<Mount>> Mounts(std::string_view key) = 0;
  // Commit turns the active snapshot key into the committed snapshot name, with the same parent
  // and content and the given labels (the active snapshot's labels are not carried over). The
  // content is on disk (synced) before the commit is recorded, and its usage is recorded with it.
  // Afterwards key no longer exists. A snapshot made by PrepareAhead is stacked on its parent here.
  virtual Status Commit(std::string_view name, std::string_view key, const Labels& labels = {}) = 0;
  // Remove deletes a snapshot of any kind and its tree.
  virtual Status Remove(std::string_view key) = 0;

  virtual Result<Info> Stat(std::string_view key) = 0;
  // Walk calls fn for every snapshot of this snapshotter, in no particular order, outside any
  // database transaction (fn may call the snapshotter). An error from fn stops the walk.
  virtual Status Walk(const std::function<Status(const Info&)>& fn) = 0;
  // Usage measures an active snapshot or a view now; a committed one reports what its Commit
  // recorded.
  virtual Result<DiskUsage> Usage(std::string_view key) = 0;

  // Path gives the directory of an active snapshot that a layer extractor writes into, and how
  // deletions are written there. It is a call of its own rather than a field of Info because it
  // exists only for active snapshots, depends on the implementation (an overlay upper layer or a
  // whole copied tree), and lets an extractor unpack without any mount (no privilege, no mount
  // namespace); Info stays what every snapshotter reports alike.
  virtual Result<LayerDir> Path(std::string_view key) = 0;

  // Dirs gives the directories of an active or committed snapshot, for a caller that shows where
  // a layer or a container's rootfs lives (docker's GraphDriver data). A view has no tree of its
  // own (kFailedPrecondition). The directories belong to the snapshotter: read, never change.
  virtual Result<SnapshotDirs> Dirs(std::string_view key) = 0;

  // PreparesAhead says whether PrepareAhead works: a snapshotter whose trees hold only a layer's
  // own changes (overlay) can extract a layer before its parent exists; one whose trees start as
  // a copy of the parent's (native) cannot.
  virtual bool PreparesAhead() const = 0;
  // PrepareAhead makes the active snapshot key for a layer to be written into its Path before
  // parent (the key its parent will be committed under) is committed, or exists: its tree starts
  // empty (its root mode 0755, owned by the process, as docker's overlay2 makes a layer's
  // directory: a layer without a "./" entry leaves it so), a deletion is written as an overlay
  // whiteout, and it has no mounts. Commit stacks it on parent, which must be committed by then;
  // until then Stat reports parent as its parent. With an empty parent it is Prepare with none.
  // Crash-safe as Prepare: such a snapshot is an active one until committed.
  virtual Result<LayerDir> PrepareAhead(std::string_view key, std::string_view parent,
                                        const Labels& labels = {}) = 0;

  // Cleanup removes the directories under the root that no snapshot owns: those a crash left
  // between creating a tree and recording it, or between forgetting a snapshot and deleting its
  // tree; and it builds again, empty, the tree of an active snapshot or view that a power loss
  // took before it reached the disk. Run it at start-up; it waits for Prepare and View calls in
  // progress.
  virtual Status Cleanup() = 0;
};

}  // namespace berth::image::snapshot
