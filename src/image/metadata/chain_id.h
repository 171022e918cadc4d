// Chain ids, as the OCI image spec defines them (config.md, "Layer ChainID"): the identity of a
// stack of layers applied in order, so that a layer shared by two images is unpacked once only
// when everything under it is shared too. Pure functions; thread-safe.
#pragma once

#include <span>
#include <vector>

#include "base/digest.h"

namespace berth::image::metadata {

// ChainId is the chain id of the layer diff_id applied on the stack parent_chain_id:
// sha256(parent_chain_id + " " + diff_id), both in their "algorithm:hex" form.
Digest ChainId(const Digest& parent_chain_id, const Digest& diff_id);

// ChainIds returns the chain id of every prefix of diff_ids (base layer first):
// chain_id(L0) = diff_id(L0), chain_id(Ln) = ChainId(chain_id(Ln-1), diff_id(Ln)).
std::vector<Digest> ChainIds(std::span<const Digest> diff_ids);

}  // namespace berth::image::metadata
