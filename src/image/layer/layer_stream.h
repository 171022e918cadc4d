// LayerStream reads one layer blob from a descriptor on a thread of its own: it hashes the bytes
// as read (the layer's digest), undoes the compression found in its first bytes, and hands the
// uncompressed tar to the consumer in chunks through a small ring (kChunkCount slots), so
// decompression overlaps parsing and a layer is never held in memory whole. A regular file is
// mapped window by window instead of read (a plain tar then reaches the tar parser without being
// copied at all); it must not shrink while the stream reads it (SIGBUS). Other descriptors
// (pipes, sockets) are read into buffers of kChunkSize.
// Both hashes are taken on the reader's thread (once for both for a plain tar): the consumer,
// which parses the tar and writes the files, needs more CPU than inflating does (docs/
// benchmarks.md, registry clients). One consumer thread; the destructor stops the reader and joins
// it (after the read in progress returns, so a blocked pipe blocks the destructor).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/layer/compression.h"

namespace berth::image::layer {

class LayerStream {
 public:
  static constexpr size_t kChunkSize = 1 << 20;
  static constexpr size_t kChunkCount = 4;
  static constexpr size_t kMapSize = 4 << 20;  // the window of a mapped regular file

  // progress is called on the reader thread with the count of bytes read so far; an error it
  // returns ends the stream with that error.
  using Progress = std::function<Status(int64_t bytes_read)>;

  // Start reads the first bytes (on the caller's thread) to detect the compression, then starts
  // the reader thread. Errors: a refused compression, a read error, a thread that can't start.
  static Result<std::unique_ptr<LayerStream>> Start(int fd, Progress progress);
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  Compression compression() const { return compression_; }

  // Next returns the next chunk of the uncompressed tar, valid until the next call; an empty
  // view at the end; or the reader's error (read, decompression, progress).
  Result<std::string_view> Next();
  // Drain reads to the end, so the digests cover the whole blob (tar parsing stops at the
  // end-of-archive blocks; whatever follows them is still part of the layer).
  Status Drain();

  // Valid once Next has returned the end.
  Digest digest() const { return digest_; }
  Digest diff_id() const { return diff_id_; }
  int64_t compressed_size() const { return compressed_size_; }
  int64_t size() const { return size_; }

 private:
  // A slot of the ring: either a buffer the reader fills, or a window of the mapped input.
  struct Chunk {
    std::unique_ptr<char[]> buffer;
    const char* data = nullptr;
    size_t size = 0;
    void* map = nullptr;
    size_t map_size = 0;
    void Unmap();
  };
  // Where the reader is in a mapped input.
  struct MappedInput {
    int64_t offset = 0;
    int64_t end = 0;
  };

  LayerStream(int fd, Progress progress, Compression compression, std::string head,
              std::optional<MappedInput> mapped);
  void Run();
  Status Produce();
  Status ProducePlain(Sha256& hash);
  Status ProduceCompressed(Sha256& hash);
  // Decompress runs the decompressor over input, publishing chunks as they fill.
  Status Decompress(Decompressor& decompressor, std::string_view input, size_t& index);
  Result<size_t> ReadInput(char* buf, size_t size, Sha256& hash);
  // MapInput maps the next window of a mapped input into chunk (empty at the end).
  Status MapInput(Chunk& chunk, size_t size, Sha256& hash);
  Status Account(std::string_view data, Sha256& hash);
  // AcquireChunk waits for a free chunk; nullopt when the consumer has gone.
  std::optional<size_t> AcquireChunk();
  void Publish(size_t index);

  int fd_;
  Progress progress_;
  Compression compression_;
  std::string head_;  // bytes read by Start, consumed first by the reader (not mapped)
  std::optional<MappedInput> mapped_;
  int64_t bytes_read_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Chunk> chunks_;
  std::vector<size_t> free_;
  std::deque<size_t> full_;
  std::optional<size_t> held_;  // the chunk the consumer is reading
  bool producer_done_ = false;
  bool consumer_gone_ = false;
  std::optional<Error> error_;
  bool ended_ = false;

  Sha256 diff_hash_;  // reader side, compressed layers only
  Digest digest_;
  Digest diff_id_;
  std::string reader_hex_;  // set by the reader before it reports done
  int64_t compressed_size_ = 0;
  int64_t size_ = 0;
  std::thread reader_;
};

}  // namespace berth::image::layer
