#include "image/layer/whiteout.h"

#include <sys/sysmacros.h>

namespace berth::image::layer {

Whiteout ParseWhiteout(std::string_view base_name) {
  if (!base_name.starts_with(kWhiteoutPrefix)) return {};
  if (base_name == kOpaqueMarker) return {WhiteoutKind::kOpaque, {}};
  if (base_name.starts_with(kWhiteoutMetaPrefix)) return {WhiteoutKind::kMeta, {}};
  return {WhiteoutKind::kDelete, base_name.substr(kWhiteoutPrefix.size())};
}

std::string WhiteoutName(std::string_view base_name) {
  std::string name(kWhiteoutPrefix);
  name += base_name;
  return name;
}

bool IsOverlayWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOverlayXattr(std::string_view name) {
  return name.starts_with(kOverlayXattrPrefix) || name.starts_with(kOverlayUserXattrPrefix);
}

}  // namespace berth::image::layer
