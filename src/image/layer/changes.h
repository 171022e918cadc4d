// Changes lists what a container's writable layer changed relative to the layers below it, as
// `docker diff` reports it (moby's archive.Change kinds): a path of the upper directory that no
// lower layer has is added, one that a lower layer has is modified (a directory only when its
// size, mode or mtime differ, or something below it was added or deleted), an overlay whiteout
// (or an opaque directory hiding a lower one) is deleted; the parent of an added or deleted path
// is reported modified before it. Paths are absolute in the container ("/etc/passwd"), in walk
// order (names sorted by bytes, a directory before its content). Stateless and thread-safe; the
// trees must not change while they are read.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::image::layer {

// The kinds keep docker's numbers (the Kind field of GET /containers/{id}/changes).
enum class ChangeKind { kModify = 0, kAdd = 1, kDelete = 2 };

struct Change {
  std::string path;
  ChangeKind kind = ChangeKind::kModify;
  bool operator==(const Change&) const = default;
};

// OverlayChanges walks upper, an overlay upper directory, over lowers (the lower directories,
// top first). Lookups in the lower directories never leave them (openat2 RESOLVE_BENEATH).
// hidden names paths ("/etc/hosts") that are never reported, nor anything below them, and whose
// creation does not make their directory count as modified (its mtime and size are then not
// compared): mount points the runtime made, which docker keeps in a layer of their own.
Result<std::vector<Change>> OverlayChanges(const std::string& upper,
                                           const std::vector<std::string>& lowers,
                                           const std::set<std::string>& hidden = {});

}  // namespace berth::image::layer
