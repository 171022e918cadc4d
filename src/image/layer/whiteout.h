// Whiteouts: how a layer says "this path of the lower layers is gone". Two encodings exist and this
// header is the one place that names both, for the tar side (apply and diff) of image/layer:
//  - OCI (image-spec layer.md "Whiteouts"): an empty entry ".wh.NAME" deletes NAME of the lower
//    layers; ".wh..wh..opq" in a directory hides every lower child of that directory. Other names
//    starting with ".wh..wh." are aufs bookkeeping, never real files, and are skipped.
//  - overlayfs (Documentation/filesystems/overlayfs.rst): NAME is a character device 0/0, and an
//    opaque directory carries the xattr trusted.overlay.opaque="y".
// Pure functions and constants; thread-safe.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>

namespace berth::image::layer {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

// The overlay encoding. Any xattr under kOverlayXattrPrefix steers overlayfs (opaque, redirect,
// metacopy), so a layer tar may never set one: it would forge whiteouts or point into other layers.
// With the "userxattr" mount option overlayfs reads the same names under "user.overlay.".
inline constexpr std::string_view kOverlayOpaqueXattr = "trusted.overlay.opaque";
inline constexpr std::string_view kOverlayOpaqueValue = "y";
inline constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
inline constexpr std::string_view kOverlayUserXattrPrefix = "user.overlay.";
inline constexpr dev_t kOverlayWhiteoutDev = 0;  // makedev(0, 0)

enum class WhiteoutKind {
  kNone,    // an ordinary name
  kDelete,  // ".wh.NAME": NAME is deleted
  kOpaque,  // ".wh..wh..opq": the directory hides its lower children
  kMeta,    // another ".wh..wh." name: not part of the filesystem, skipped
};

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string_view target;  // for kDelete: the deleted name (a view into the argument)
};

// ParseWhiteout classifies the last component of an entry name. ".wh." alone is kDelete with an
// empty target, which callers must refuse.
Whiteout ParseWhiteout(std::string_view base_name);

// WhiteoutName is the OCI entry name that deletes base_name: ".wh." + base_name.
std::string WhiteoutName(std::string_view base_name);

// IsOverlayWhiteout says whether st describes an overlay whiteout (a 0/0 character device).
bool IsOverlayWhiteout(const struct stat& st);

// IsOverlayXattr says whether name is an overlayfs control xattr (trusted.overlay.* or
// user.overlay.*), which a tar must neither carry into nor out of a layer directory.
bool IsOverlayXattr(std::string_view name);

}  // namespace berth::image::layer
