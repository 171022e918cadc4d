// Apply extracts one layer blob (a tar: plain, gzip, zstd, xz or bzip2, detected from its first
// bytes) into a layer directory, streaming: a reader thread reads, hashes and decompresses
// (layer_stream.h) while the caller's thread parses the tar with libarchive and writes the entries
// with descriptor-relative calls that never leave the directory (tree_writer.h). Nothing of the
// layer is held in memory beyond a few MiB of buffers.
//
// Entries: regular files (sparse too), directories, symlinks, hardlinks, character and block
// devices, fifos; ownership (lchown, before chmod so setuid and setgid survive), mode bits, mtimes
// and atimes with nanoseconds, xattrs from pax (SCHILY.xattr.*, LIBARCHIVE.xattr.*; never
// trusted.overlay.* or user.overlay.*, which would forge whiteouts). Names are cleaned
// (entry_name.h); a leading "/" is dropped. Whiteouts follow options.whiteouts (tree_writer.h).
// ACLs (SCHILY.acl.*) and file flags are not applied; xattrs the filesystem refuses with
// ENOTSUP are skipped.
//
// Errors name the entry: kInvalidArgument `apply layer: entry "../etc/passwd": path leaves the
// layer` for hostile or unsupported entries; kDataLoss for a corrupt or truncated stream and for
// a digest that does not match the expected one; errno kinds for the filesystem. On error the
// directory holds part of the layer: the caller discards it (extract into a fresh directory and
// rename it into place on success). Nothing is fsynced; a store that needs durability syncs the
// filesystem before it records the layer.
//
// Thread-safety: Apply may run concurrently on different directories (ApplyParallel does); two
// applies into one directory at once are not supported. Each Apply uses one extra thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/layer/compression.h"
#include "image/layer/tree_writer.h"

namespace berth::image::layer {

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kOverlay;
  // Give entries the tar's uid and gid (needs CAP_CHOWN); otherwise they belong to the caller.
  bool same_owner = true;
  std::optional<Owner> owner;             // with same_owner: every entry's owner instead
  bool no_overwrite_dir_non_dir = false;  // tree_writer.h
  // When set, the sha256 of the bytes read (the blob as stored) and of the uncompressed tar must
  // match, or Apply fails with kDataLoss once the whole layer has been read.
  std::optional<Digest> expected_digest;
  std::optional<Digest> expected_diff_id;
  // Called on the reader thread after each read with the count of bytes read so far (for a
  // progress bar); an error it returns (kCancelled, say) stops the apply with that error.
  std::function<Status(int64_t bytes_read)> progress;
};

struct ApplyResult {
  Digest digest;   // sha256 of the bytes read
  Digest diff_id;  // sha256 of the uncompressed tar; equals digest for a plain tar
  Compression compression = Compression::kNone;
  int64_t compressed_size = 0;  // bytes read
  int64_t size = 0;             // bytes of the uncompressed tar
  int64_t entries = 0;          // tar entries applied, whiteouts included
};

// Apply reads input_fd to its end (the caller keeps ownership) and writes the layer into dir,
// which must exist. Only sha256 digests may be expected. A regular file is read through mmap
// from its current offset and must not shrink meanwhile (blobs of the content store never do);
// pipes and sockets are read.
Result<ApplyResult> Apply(int input_fd, const std::string& dir, const ApplyOptions& options);

struct LayerJob {
  int input_fd = -1;
  std::string dir;
  ApplyOptions options;
};

// ApplyParallel applies each job into its own directory, at most `parallel` at once (the calling
// thread is one of them), and returns one result per job, in order. After a failure the jobs not
// yet started are not started: their result is kCancelled.
std::vector<Result<ApplyResult>> ApplyParallel(const std::vector<LayerJob>& jobs, size_t parallel);

}  // namespace berth::image::layer
