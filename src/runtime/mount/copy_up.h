// CopyDirectory fills a new tmpfs with what the image holds at its mount point ("tmpcopyup"):
// the tree under one directory descriptor is copied under another, keeping modes, owners and
// times. Symlinks are copied as symlinks and never followed. Single-threaded use.
#pragma once

#include "base/result.h"

namespace berth::runtime::mount {

// CopyDirectory copies the entries of from_dir (any descriptor of a directory, O_PATH is fine)
// into to_dir, then gives to_dir the mode, owner and times of from_dir.
Status CopyDirectory(int from_dir, int to_dir);

}  // namespace berth::runtime::mount
