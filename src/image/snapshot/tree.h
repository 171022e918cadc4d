// Whole-tree work on snapshot directories: copy a tree faithfully (the native snapshotter's
// Prepare), measure what a tree occupies (Usage), remove a tree (Remove, Cleanup), and the syncs
// that make such work durable. Walks go through directory descriptors and never follow a symlink.
// Stateless functions; concurrent calls on different trees are safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "image/snapshot/snapshotter.h"

namespace berth::image::snapshot {

// CopyTree copies everything under from into to, an existing empty directory, and gives to the
// attributes of from. Kept: file contents (cloned or copied in the kernel where the filesystem
// can: FICLONE, copy_file_range), directories, symlinks, hard links between files of the tree,
// device nodes, fifos and sockets; owners, modes (setuid, setgid, sticky), extended attributes
// (capabilities, ACLs) and modification times. Needs the privilege to chown and mknod.
Status CopyTree(const std::string& from, const std::string& to);

// MeasureTree sums the blocks of every inode under path (path included), each inode once.
Result<DiskUsage> MeasureTree(const std::string& path);

// RemoveTree deletes path and everything under it; a missing path is fine. A mount found inside
// (left by a crash while it was mounted) is detached first, so nothing of the mounted filesystem
// is deleted.
Status RemoveTree(const std::string& path);

// ListDir returns the names in the directory path, without "." and "..".
Result<std::vector<std::string>> ListDir(const std::string& path);

// SyncFilesystem flushes the whole filesystem that holds path (syncfs): for a tree just written.
Status SyncFilesystem(const std::string& path);

}  // namespace berth::image::snapshot
