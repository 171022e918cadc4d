// The image catalog's tables in the metadata database (database.h): the migration steps that
// Catalog::Open applies under the owner kCatalogOwner. schema.cc defines and documents every table
// and column; nothing else writes these tables but the catalog.
#pragma once

#include <span>
#include <string_view>

namespace berth::image::metadata {

inline constexpr std::string_view kCatalogOwner = "catalog";

// CatalogSchema returns the migration steps, oldest first; released steps never change.
std::span<const std::string_view> CatalogSchema();

}  // namespace berth::image::metadata
