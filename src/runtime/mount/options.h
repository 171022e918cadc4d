// Parsing of an OCI mount's "options" list into what the mount API needs: per-mount attribute
// changes (top mount and whole tree), a propagation change, bind/rbind, tmpcopyup, and the rest
// as filesystem parameters. Pure; errors name the offending option, the caller adds the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::runtime::mount {

// AttrChange is one mount_setattr(2) change: MOUNT_ATTR_* bits to set and to clear. The atime
// mode is a value, not a bit: when it changes, clear holds all of MOUNT_ATTR__ATIME.
struct AttrChange {
  uint64_t set = 0;
  uint64_t clear = 0;
  bool empty() const { return set == 0 && clear == 0; }
  bool operator==(const AttrChange&) const = default;
};

struct MountOptions {
  bool bind = false;          // "bind" or "rbind"
  bool recursive = false;     // "rbind"
  bool remount = false;       // "remount"
  bool copy_up = false;       // "tmpcopyup"
  AttrChange attr;            // ro, nosuid, noatime, ...: the top mount
  AttrChange recursive_attr;  // rro, rnosuid, rnoatime, ...: every mount of the tree
  uint64_t propagation = 0;   // MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE or 0
  bool propagation_recursive = false;
  // Filesystem parameters in order: "key=value" or "flag". Superblock flags the kernel parses
  // itself (sync, async, dirsync, mand, nomand, lazytime, nolazytime) are kept here as well.
  std::vector<std::string> data;
};

// ParseMountOptions reads options in order; for flags given twice the last one wins. "idmap" and
// "ridmap" fail with kNotImplemented; two different propagation options fail.
Result<MountOptions> ParseMountOptions(const std::vector<std::string>& options);

// KnownMountOptions lists the options ParseMountOptions accepts (for the `features` command).
std::vector<std::string> KnownMountOptions();

}  // namespace berth::runtime::mount
