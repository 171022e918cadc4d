// The overlay snapshotter: each snapshot's own changes in root/snapshots/<id>/fs, stacked on its
// parents' as overlayfs lower layers, so an image's layers are shared by every container using
// them and Prepare costs two mkdirs. A layer's tree needs nothing of its parents until it is
// mounted, so it prepares ahead: the layers of an image are extracted at once and committed in
// order. ProbeOverlay tells a caller whether overlayfs works on the
// filesystem of a root, so it can fall back to the native snapshotter. Thread-safety and
// ownership as for DirectorySnapshotter.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "image/metadata/database.h"
#include "image/snapshot/directory_snapshotter.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::snapshot {

// OpenOverlay opens the overlay snapshotter (rows named "overlay") at root over db.
Result<std::unique_ptr<Snapshotter>> OpenOverlay(metadata::Database* db, const std::string& root,
                                                 DirectoryOptions options = {});

// ProbeOverlay mounts a small overlay in a temporary directory under root/snapshots, deletes a
// lower file through it (a whiteout in the upper layer) and unmounts it. An error says why
// overlay cannot serve at root: the kernel lacks overlayfs, the filesystem under root cannot be
// an upper layer (overlayfs itself, some network filesystems), or mounting is not permitted.
Status ProbeOverlay(const std::string& root);

}  // namespace berth::image::snapshot
