#include "image/metadata/records.h"

namespace berth::image::metadata {

std::string_view BlobKindName(BlobKind kind) {
  switch (kind) {
    case BlobKind::kIndex:
      return "index";
    case BlobKind::kManifest:
      return "manifest";
    case BlobKind::kConfig:
      return "config";
    case BlobKind::kLayer:
      return "layer";
  }
  return "layer";
}

std::string_view LeaseResourceKindName(LeaseResourceKind kind) {
  switch (kind) {
    case LeaseResourceKind::kBlob:
      return "blob";
    case LeaseResourceKind::kLayer:
      return "layer";
    case LeaseResourceKind::kSnapshot:
      return "snapshot";
  }
  return "blob";
}

}  // namespace berth::image::metadata
