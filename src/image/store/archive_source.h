// The files of an image archive as the loader sees them: its small index files (manifest.json,
// repositories, oci-layout, index.json) and, for any other path, the blob the file became in the
// content store. ReadTarArchive streams a tar into the store; OpenLayoutDir reads an OCI image
// layout directory, copying a blob the first time it is asked for. Everything stored is held by
// the caller's lease. A source belongs to one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/content/store.h"
#include "image/store/image_store.h"

namespace berth::image::store {

// The largest index file read into memory.
inline constexpr int64_t kMaxIndexFileSize = 32 << 20;

class ArchiveSource {
 public:
  virtual ~ArchiveSource() = default;
  // IndexFile returns the content of the index file name (at the archive's root), if present.
  virtual std::optional<std::string> IndexFile(std::string_view name) const = 0;
  // Blob returns the blob stored from the file at path, following the archive's links; a path
  // the archive lacks is kNotFound ("blobs/sha256/ab…: not in the archive").
  virtual Result<content::Info> Blob(const std::string& path) = 0;
};

// ReadTarArchive reads a tar (plain, gzip, zstd, xz or bzip2) from fd to its end. Regular files are
// stored as blobs (a file under blobs/<algorithm>/ must hash to the digest its name gives), except
// the index files, kept in memory, and docker's legacy <id>/json and <id>/VERSION, skipped.
// Symbolic and hard links are remembered as aliases. Errors name the entry: `entry "../x": invalid
// archive path ...`, `entry "blobs/sha256/ab…": digest mismatch ...`.
Result<std::unique_ptr<ArchiveSource>> ReadTarArchive(ImageStore& store, Lease& lease, int fd,
                                                      const ProgressSink& progress);

// OpenLayoutDir opens the OCI image layout directory dir: its index files are read now, its blobs
// copied into the store when asked for (a blob the store holds already is not copied).
Result<std::unique_ptr<ArchiveSource>> OpenLayoutDir(ImageStore& store, Lease& lease,
                                                     const std::string& dir,
                                                     const ProgressSink& progress);

// BlobPathOf is where an OCI image layout keeps the blob digest: "blobs/<algorithm>/<hex>".
std::string BlobPathOf(const Digest& digest);

}  // namespace berth::image::store
