// The native snapshotter: each snapshot is a whole tree in root/snapshots/<id>/fs; Prepare copies
// the parent's tree (tree.h CopyTree), and mounts are bind mounts. Slower to prepare and larger
// on disk than overlay, but it works on any filesystem and kernel: the fallback where overlay is
// unavailable. It cannot prepare ahead (a new tree starts as its parent's copy), so the layers of
// an image are extracted one after the other. Thread-safety and ownership as for
// DirectorySnapshotter.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "image/metadata/database.h"
#include "image/snapshot/directory_snapshotter.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::snapshot {

// OpenNative opens the native snapshotter (rows named "native") at root over db.
Result<std::unique_ptr<Snapshotter>> OpenNative(metadata::Database* db, const std::string& root,
                                                DirectoryOptions options = {});

}  // namespace berth::image::snapshot
