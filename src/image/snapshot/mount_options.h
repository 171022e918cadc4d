// The pure half of the mount applier: a Mount's options sorted into mount(2) flags, filesystem
// parameters and (for overlay) the list of lower layers, and the mount(2) data string of an
// overlay that must fit in one page. No system calls; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/snapshot/mount.h"

namespace berth::image::snapshot {

// The kernel stacks at most this many overlay lower layers (OVL_MAX_STACK in fs/overlayfs).
inline constexpr size_t kMaxOverlayLowerdirs = 500;

struct ParsedMount {
  unsigned long flags = 0;             // MS_* named by the options (and MS_BIND for type "bind")
  std::vector<std::string> params;     // the filesystem's own options, in order ("index=off")
  std::vector<std::string> lowerdirs;  // overlay: the lower layers from "lowerdir=", top first
};

// ParseMount sorts mount.options. Options mount(8) knows as flags ("ro", "nosuid", "rbind", ...)
// become flags, later ones overriding earlier ones ("rw" clears "ro"); every other option is a
// filesystem parameter. For an overlay, "lowerdir=" is split at unescaped ':' ("\:" and "\\" are
// a literal ':' and '\'); none, or more than kMaxOverlayLowerdirs, is an error.
Result<ParsedMount> ParseMount(const Mount& mount);

// MountAttrOf maps the MS_* per-mount flags to MOUNT_ATTR_* for fsmount and mount_setattr.
unsigned MountAttrOf(unsigned long flags);

// OverlayData is the data of an overlay's mount(2) call, and the directory that call must run in
// when the lower layers are given relative to it (empty: any).
struct OverlayData {
  std::string cwd;
  std::string data;
};

// OverlayMountData renders the parameters of an overlay for mount(2), whose data the kernel reads
// up to one page: with absolute lower layers when that fits in page_size bytes (with its NUL),
// else with lower layers relative to their longest common directory. kResourceExhausted when
// neither fits.
Result<OverlayData> OverlayMountData(const ParsedMount& parsed, size_t page_size);

}  // namespace berth::image::snapshot
