// Layer and archive compression: detected from the first bytes of a layer blob or of an archive
// sent to the daemon (load, import, copy into a container), and undone as a stream. gzip goes
// through ISA-L's inflate (about three times zlib's speed; concatenated members are one stream, as
// gzip -d reads them), zstd through libzstd (concatenated and skippable frames too), xz through
// liblzma and bzip2 through libbz2 (concatenated streams too). lz4 is recognised only to refuse it
// by name. A Decompressor belongs to one thread; detection is a pure function.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::image::layer {

// The compressions read (oci::Compression): gzip and zstd, those of the layer media types, and
// xz and bzip2, which docker reads in archives.
using oci::Compression;
using oci::CompressionName;

// The longest magic number looked at; DetectCompression wants this many bytes unless the stream
// is shorter.
inline constexpr size_t kCompressionMagicSize = 10;

// DetectCompression classifies a stream from its first bytes: gzip, zstd, xz, bzip2, or else a
// plain tar. kInvalidArgument "unsupported compression lz4 (...)" for lz4, recognised but not read.
Result<Compression> DetectCompression(std::string_view head);

class Decompressor {
 public:
  // Create returns the decompressor of a compressed format (not kNone).
  static Result<std::unique_ptr<Decompressor>> Create(Compression compression);
  virtual ~Decompressor() = default;

  // Decompress consumes bytes from the front of input (advancing it) and writes decompressed bytes
  // to out, returning how many. It returns early when out is full: call again, with an empty
  // input if need be, until it returns less than out.size() with input empty. kDataLoss on
  // corrupt data (message "decompress gzip: ...", with the compression's name).
  virtual Result<size_t> Decompress(std::string_view& input, std::span<char> out) = 0;
  // Finish checks, at the end of the input, that the last member or frame was complete:
  // kDataLoss "decompress gzip: unexpected end of stream" otherwise.
  virtual Status Finish() = 0;
};

}  // namespace berth::image::layer
