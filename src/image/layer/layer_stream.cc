#include "image/layer/layer_stream.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "base/scope_exit.h"
#include "sys/fs.h"

namespace berth::image::layer {
namespace {

// Compressed input is read in blocks of this size; a full chunk of output takes several.
constexpr size_t kInputSize = 256 << 10;

Status StreamClosed() { return Fail(ErrorKind::kCancelled, "layer stream closed"); }

}  // namespace

Result<std::unique_ptr<LayerStream>> LayerStream::Start(int fd, Progress progress) {
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(fd));
  std::optional<MappedInput> mapped;
  if (S_ISREG(st.st_mode)) {
    off_t offset = lseek(fd, 0, SEEK_CUR);
    if (offset < 0) return Fail(ErrnoNow("seek layer"));
    mapped = MappedInput{offset, std::max<int64_t>(offset, st.st_size)};
  }
  std::string head(kCompressionMagicSize, '\0');
  size_t got = 0;
  while (got < head.size()) {
    ssize_t n = mapped ? pread(fd, head.data() + got, head.size() - got,
                               mapped->offset + static_cast<off_t>(got))
                       : read(fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read layer"));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  BERTH_ASSIGN_OR_RETURN(Compression compression, DetectCompression(head));
  if (mapped) head.clear();  // the mapping starts at the beginning again
  std::unique_ptr<LayerStream> stream(
      new LayerStream(fd, std::move(progress), compression, std::move(head), mapped));
  try {
    stream->reader_ = std::thread([s = stream.get()] { s->Run(); });
  } catch (const std::system_error& e) {
    return Fail(ErrorKind::kResourceExhausted, std::string("start layer reader: ") + e.what());
  }
  return stream;
}

LayerStream::LayerStream(int fd, Progress progress, Compression compression, std::string head,
                         std::optional<MappedInput> mapped)
    : fd_(fd),
      progress_(std::move(progress)),
      compression_(compression),
      head_(std::move(head)),
      mapped_(mapped) {
  chunks_.resize(kChunkCount);
  for (size_t i = 0; i < kChunkCount; ++i) {
    // A mapped plain tar needs no buffers: its chunks are windows of the mapping.
    if (!mapped_ || compression_ != Compression::kNone) {
      chunks_[i].buffer = std::make_unique_for_overwrite<char[]>(kChunkSize);
    }
    free_.push_back(i);
  }
}

LayerStream::~LayerStream() {
  {
    std::lock_guard lock(mu_);
    consumer_gone_ = true;
  }
  cv_.notify_all();
  if (reader_.joinable()) reader_.join();
  for (Chunk& chunk : chunks_) chunk.Unmap();
}

void LayerStream::Chunk::Unmap() {
  if (map != nullptr) munmap(map, map_size);
  map = nullptr;
  map_size = 0;
}

void LayerStream::Run() {
  Status status = Produce();
  std::lock_guard lock(mu_);
  producer_done_ = true;
  if (!status) error_ = std::move(status).error();
  cv_.notify_all();
}

Status LayerStream::Produce() {
  Sha256 hash;
  BERTH_TRY(compression_ == Compression::kNone ? ProducePlain(hash) : ProduceCompressed(hash));
  // Leave the descriptor at the end of the layer, as reading it would have.
  if (mapped_ && lseek(fd_, mapped_->offset, SEEK_SET) < 0) return Fail(ErrnoNow("seek layer"));
  reader_hex_ = hash.HexDigest();
  return Ok();
}

Status LayerStream::ProducePlain(Sha256& hash) {
  while (true) {
    std::optional<size_t> index = AcquireChunk();
    if (!index) return StreamClosed();
    Chunk& chunk = chunks_[*index];
    chunk.Unmap();
    chunk.size = 0;
    bool eof = false;
    if (mapped_) {
      BERTH_TRY(MapInput(chunk, kMapSize, hash));
      eof = chunk.size == 0;
    } else {
      chunk.data = chunk.buffer.get();
      while (chunk.size < kChunkSize && !eof) {
        BERTH_ASSIGN_OR_RETURN(
            size_t n, ReadInput(chunk.buffer.get() + chunk.size, kChunkSize - chunk.size, hash));
        chunk.size += n;
        eof = n == 0;
      }
    }
    Publish(*index);
    if (eof) return Ok();
  }
}

Status LayerStream::ProduceCompressed(Sha256& hash) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Decompressor> decompressor,
                         Decompressor::Create(compression_));
  std::optional<size_t> index = AcquireChunk();
  if (!index) return StreamClosed();
  chunks_[*index].data = chunks_[*index].buffer.get();
  chunks_[*index].size = 0;
  if (mapped_) {
    Chunk window;
    ScopeExit unmap([&] { window.Unmap(); });
    while (true) {
      BERTH_TRY(MapInput(window, kMapSize, hash));
      if (window.size == 0) break;
      BERTH_TRY(Decompress(*decompressor, {window.data, window.size}, *index));
    }
  } else {
    auto input = std::make_unique_for_overwrite<char[]>(kInputSize);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(size_t n, ReadInput(input.get(), kInputSize, hash));
      if (n == 0) break;
      BERTH_TRY(Decompress(*decompressor, {input.get(), n}, *index));
    }
  }
  BERTH_TRY(decompressor->Finish());
  Publish(*index);
  return Ok();
}

Status LayerStream::Decompress(Decompressor& decompressor, std::string_view input, size_t& index) {
  // Until the input is used up and the decompressor has nothing left to give.
  while (true) {
    Chunk& chunk = chunks_[index];
    std::span<char> space(chunk.buffer.get() + chunk.size, kChunkSize - chunk.size);
    BERTH_ASSIGN_OR_RETURN(size_t produced, decompressor.Decompress(input, space));
    chunk.size += produced;
    if (chunk.size == kChunkSize) {
      Publish(index);
      std::optional<size_t> next = AcquireChunk();
      if (!next) return StreamClosed();
      index = *next;
      chunks_[index].data = chunks_[index].buffer.get();
      chunks_[index].size = 0;
    }
    if (input.empty() && produced < space.size()) return Ok();
  }
}

Result<size_t> LayerStream::ReadInput(char* buf, size_t size, Sha256& hash) {
  size_t n = 0;
  if (!head_.empty()) {
    n = std::min(size, head_.size());
    std::memcpy(buf, head_.data(), n);
    head_.erase(0, n);
  } else {
    ssize_t got;
    do {
      got = read(fd_, buf, size);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return Fail(ErrnoNow("read layer"));
    n = static_cast<size_t>(got);
  }
  BERTH_TRY(Account({buf, n}, hash));
  return n;
}

Status LayerStream::MapInput(Chunk& chunk, size_t size, Sha256& hash) {
  chunk.Unmap();
  chunk.size = 0;
  int64_t left = mapped_->end - mapped_->offset;
  if (left == 0) return Ok();
  static const int64_t kPage = sysconf(_SC_PAGESIZE);
  int64_t start = mapped_->offset - mapped_->offset % kPage;
  size_t skip = static_cast<size_t>(mapped_->offset - start);
  size_t length = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(size)));
  void* map = mmap(nullptr, skip + length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, start);
  if (map == MAP_FAILED) return Fail(ErrnoNow("map layer"));
  madvise(map, skip + length, MADV_SEQUENTIAL);
  chunk.map = map;
  chunk.map_size = skip + length;
  chunk.data = static_cast<const char*>(map) + skip;
  chunk.size = length;
  mapped_->offset += static_cast<int64_t>(length);
  return Account({chunk.data, chunk.size}, hash);
}

Status LayerStream::Account(std::string_view data, Sha256& hash) {
  if (data.empty()) return Ok();
  hash.Update(data);
  bytes_read_ += static_cast<int64_t>(data.size());
  if (progress_) BERTH_TRY(progress_(bytes_read_));
  return Ok();
}

std::optional<size_t> LayerStream::AcquireChunk() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !free_.empty() || consumer_gone_; });
  if (consumer_gone_) return std::nullopt;
  size_t index = free_.back();
  free_.pop_back();
  return index;
}

void LayerStream::Publish(size_t index) {
  if (compression_ != Compression::kNone) {
    diff_hash_.Update({chunks_[index].data, chunks_[index].size});
  }
  std::lock_guard lock(mu_);
  if (chunks_[index].size == 0) {
    chunks_[index].Unmap();
    free_.push_back(index);
  } else {
    full_.push_back(index);
  }
  cv_.notify_all();
}

Result<std::string_view> LayerStream::Next() {
  std::unique_lock lock(mu_);
  if (held_) {
    free_.push_back(*held_);
    held_.reset();
    cv_.notify_all();
  }
  cv_.wait(lock, [&] { return !full_.empty() || producer_done_; });
  if (!full_.empty()) {
    size_t index = full_.front();
    full_.pop_front();
    held_ = index;
    lock.unlock();
    std::string_view chunk(chunks_[index].data, chunks_[index].size);
    size_ += static_cast<int64_t>(chunk.size());
    return chunk;
  }
  if (error_) return Fail(*error_);
  if (!ended_) {
    ended_ = true;
    digest_ = Digest{"sha256", reader_hex_};
    diff_id_ =
        compression_ == Compression::kNone ? digest_ : Digest{"sha256", diff_hash_.HexDigest()};
    compressed_size_ = bytes_read_;
  }
  return std::string_view();
}

Status LayerStream::Drain() {
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::string_view chunk, Next());
    if (chunk.empty()) return Ok();
  }
}

}  // namespace berth::image::layer
