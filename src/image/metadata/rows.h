// Reading the catalog's rows (schema.cc) back into records (records.h), and the errors the
// catalog's source files share; not part of the public API. A row that does not parse (a digest, a
// name, a kind) is kDataLoss: only the catalog writes these tables, so it means the file was
// damaged.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/metadata/database.h"
#include "image/metadata/gc.h"
#include "image/metadata/records.h"

namespace berth::image::metadata::rows {

// NoSuchImage is the kNotFound error for an image that what names.
Error NoSuchImage(std::string_view what);

int64_t Nanos(Time t);
Time FromNanos(int64_t nanos);

// Digest reads column of row as a digest; column names it in errors ("images.id").
Result<Digest> ReadDigest(const Row& row, int index, std::string_view column);
Result<std::optional<Digest>> ReadOptionalDigest(const Row& row, int index,
                                                 std::string_view column);

Result<BlobKind> ParseBlobKind(std::string_view name);
Result<LeaseResourceKind> ParseLeaseResourceKind(std::string_view name);

// ReadLayer reads columns index.. as chain_id, diff_id, parent, snapshot_key, size.
Result<LayerRecord> ReadLayer(const Row& row, int index);

Result<std::optional<ImageRecord>> LoadImage(Tx& tx, const Digest& id);
Result<std::optional<LayerRecord>> LoadLayer(Tx& tx, const Digest& chain_id);
Result<std::optional<LeaseRecord>> LoadLease(Tx& tx, std::string_view id);
Result<std::vector<LeaseRecord>> LoadLeases(Tx& tx);  // sorted by id
Result<GcGraph> LoadGcGraph(Tx& tx);

}  // namespace berth::image::metadata::rows
