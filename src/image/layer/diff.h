// Diff turns the upper directory of an overlay mount (a container's writable layer) back into an
// OCI layer tar: what `commit` and each build step store. Overlay whiteouts (0/0 character devices)
// become ".wh.NAME" entries and opaque directories a ".wh..wh..opq" entry (image/layer/whiteout.h).
// DiffTrees does the same for a writable layer kept as a whole tree (the native snapshotter), by
// comparing it with the tree below. ExportTree writes a whole tree the same way without any
// whiteout conversion (`export`). The tar
// is deterministic: entries in name order, only mtimes (no atime/ctime), so the same tree always
// gives the same diff id. Stateless and thread-safe; the tree must not change while it is read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/digest.h"
#include "base/result.h"

namespace berth::image::layer {

struct DiffResult {
  Digest diff_id;    // sha256 of the tar written
  int64_t size = 0;  // bytes written
  int64_t entries = 0;
};

struct DiffOptions {
  // Called with the bytes written so far after each entry; an error it returns ends the diff.
  std::function<Status(int64_t bytes_written)> progress;
};

// DiffUpperDir writes the changes recorded in upper_dir as an uncompressed tar to out_fd. Sockets
// are skipped, as docker does; every other file type, ownership, modes (setuid included), xattrs
// other than overlayfs' own, mtimes (whole seconds, as ustar holds them and docker writes them)
// and hardlinks within the tree are kept.
Result<DiffResult> DiffUpperDir(const std::string& upper_dir, int out_fd,
                                const DiffOptions& options = {});

// ExportTree writes every file under root (not root itself) as an uncompressed tar to out_fd, as
// docker's `export` writes a container's mounted rootfs: entries and metadata as DiffUpperDir
// writes them, but nothing read as a whiteout (a 0/0 character device is written as a device, an
// opaque directory as a plain one), and a directory on another filesystem than root (a mount
// inside the tree: /proc, a volume) written as an empty directory, its content not followed.
Result<DiffResult> ExportTree(const std::string& root, int out_fd, const DiffOptions& options = {});

// ArchivePath writes path (a directory and everything below it, or any other file alone) as an
// uncompressed tar to out_fd, as docker's archive endpoint (`docker cp`) writes a container's
// path: the top entry is named top_name ("." or path's base name; "/" for the root, whose
// entries are then "/bin", ...), the entries below a directory "top_name/rel"; entries and
// metadata as ExportTree writes them, but mounts inside the tree are entered. A final symlink
// of path is archived as the symlink.
Result<DiffResult> ArchivePath(const std::string& path, const std::string& top_name, int out_fd,
                               const DiffOptions& options = {});

// DiffTrees writes what upper changed relative to lower (two whole trees, upper made as a copy of
// lower that was then changed) as an uncompressed tar to out_fd, in DiffUpperDir's form: entries
// of upper that lower lacks or that differ from lower's (type, mode, owner, device number, xattrs,
// symlink target, and for anything but a directory size or mtime; contents are not compared, as
// docker's naive differ does not), every directory above such an entry, and a ".wh.NAME" entry
// for each name only lower has. A name that turned from a directory into something else is
// written as the new entry, which replaces the directory when applied.
Result<DiffResult> DiffTrees(const std::string& lower, const std::string& upper, int out_fd,
                             const DiffOptions& options = {});

}  // namespace berth::image::layer
