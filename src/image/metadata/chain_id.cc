#include "image/metadata/chain_id.h"

namespace berth::image::metadata {

Digest ChainId(const Digest& parent_chain_id, const Digest& diff_id) {
  return Digest::OfSha256(parent_chain_id.String() + " " + diff_id.String());
}

std::vector<Digest> ChainIds(std::span<const Digest> diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const Digest& diff_id : diff_ids) {
    out.push_back(out.empty() ? diff_id : ChainId(out.back(), diff_id));
  }
  return out;
}

}  // namespace berth::image::metadata
