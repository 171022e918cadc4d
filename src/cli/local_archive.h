// The local side of `berth cp`: a local file or tree written as the tar docker's CLI uploads
// (moby's TarResourceRebase: the top entry named after the path's last component, or "." for a
// path ending in "/.", entries below it "top/rel", symlinks archived as symlinks), and a tar from
// the daemon extracted into a local directory as docker's CLI extracts it (moby's Untar with
// NoLchown and NoOverwriteDirNonDir: modes and times kept, owners not; no entry, hardlink or
// relative symlink may lead out of the directory, and nothing is written through a symlink).
// Entry names pass through a rename (PrepareArchiveCopy's) on the way. Single-threaded: the
// extraction changes the working directory while it runs.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::cli {

using EntryRename = std::function<std::string(const std::string& name)>;

// GoPathError words the failure (errno) of a call on a local path as Go's os.PathError, which
// docker prints: "lstat /x: no such file or directory".
Error GoPathError(std::string_view op, const std::string& path);

// TarLocal writes path (made absolute by the caller) as a tar to out_fd; the top entry takes
// rebase_name when it is not empty.
Status TarLocal(const std::string& path, const std::string& rebase_name, const EntryRename& rename,
                int out_fd);

// ReadFn fills up to size bytes of the tar; 0 at its end.
using ReadFn = std::function<Result<size_t>(char* data, size_t size)>;

// UntarLocal extracts the tar read through read into the directory dir.
Status UntarLocal(const ReadFn& read, const std::string& dir, const EntryRename& rename);

}  // namespace berth::cli
