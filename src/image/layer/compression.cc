#include "image/layer/compression.h"

#include <bzlib.h>
#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <zstd.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

namespace berth::image::layer {
namespace {

bool StartsWith(std::string_view head, std::string_view magic) { return head.starts_with(magic); }

class GzipDecompressor : public Decompressor {
 public:
  GzipDecompressor() : state_(std::make_unique<inflate_state>()) { Reset(); }

  Result<size_t> Decompress(std::string_view& input, std::span<char> out) override {
    // A finished member followed by more input starts the next member of the stream.
    if (member_done_ && !input.empty()) Reset();
    state_->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input.data()));
    state_->avail_in = static_cast<uint32_t>(std::min<size_t>(input.size(), UINT32_MAX));
    state_->next_out = reinterpret_cast<uint8_t*>(out.data());
    state_->avail_out = static_cast<uint32_t>(std::min<size_t>(out.size(), UINT32_MAX));
    size_t in_before = state_->avail_in;
    size_t out_before = state_->avail_out;
    int rc = isal_inflate(state_.get());
    input.remove_prefix(in_before - state_->avail_in);
    if (rc != ISAL_DECOMP_OK) return Fail(ErrorKind::kDataLoss, "decompress gzip: " + Reason(rc));
    size_t produced = out_before - state_->avail_out;
    if (state_->block_state == ISAL_BLOCK_FINISH) {
      member_done_ = true;
    } else if (produced == 0 && in_before != 0 && state_->avail_in == in_before) {
      return Fail(ErrorKind::kDataLoss, "decompress gzip: no progress on corrupt input");
    }
    return produced;
  }

  Status Finish() override {
    if (!member_done_)
      return Fail(ErrorKind::kDataLoss, "decompress gzip: unexpected end of stream");
    return Ok();
  }

 private:
  void Reset() {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
    member_done_ = false;
  }

  static std::string Reason(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
      case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
      case ISAL_INVALID_LOOKBACK:
        return "invalid lookback distance";
      case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
      case ISAL_UNSUPPORTED_METHOD:
        return "unsupported compression method";
      case ISAL_INCORRECT_CHECKSUM:
        return "checksum mismatch";
      default:
        return "error " + std::to_string(rc);
    }
  }

  std::unique_ptr<inflate_state> state_;
  bool member_done_ = false;
};

class ZstdDecompressor : public Decompressor {
 public:
  explicit ZstdDecompressor(ZSTD_DCtx* ctx) : ctx_(ctx) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }

  Result<size_t> Decompress(std::string_view& input, std::span<char> out) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    ZSTD_outBuffer dst{out.data(), out.size(), 0};
    size_t rc = ZSTD_decompressStream(ctx_, &dst, &in);
    input.remove_prefix(in.pos);
    if (ZSTD_isError(rc)) {
      return Fail(ErrorKind::kDataLoss, std::string("decompress zstd: ") + ZSTD_getErrorName(rc));
    }
    // A call that moved nothing (an empty input after the last frame) keeps the frame state.
    if (in.pos != 0 || dst.pos != 0) frame_done_ = rc == 0;
    return dst.pos;
  }

  Status Finish() override {
    if (!frame_done_)
      return Fail(ErrorKind::kDataLoss, "decompress zstd: unexpected end of stream");
    return Ok();
  }

 private:
  ZSTD_DCtx* ctx_;
  bool frame_done_ = false;
};

class XzDecompressor : public Decompressor {
 public:
  XzDecompressor() = default;
  ~XzDecompressor() override { lzma_end(&stream_); }

  // Init starts the decoder: concatenated streams are read as one, with no memory limit beyond
  // what the stream's own headers ask for.
  Status Init() {
    lzma_ret rc = lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED);
    if (rc != LZMA_OK) return Fail(ErrorKind::kResourceExhausted, "decompress xz: " + Reason(rc));
    return Ok();
  }

  Result<size_t> Decompress(std::string_view& input, std::span<char> out) override {
    return Code(input, out, LZMA_RUN);
  }

  Status Finish() override {
    std::string_view none;
    char byte = 0;
    Result<size_t> tail = Code(none, std::span<char>(&byte, 1), LZMA_FINISH);
    BERTH_TRY(tail);
    if (!ended_ || *tail != 0) {
      return Fail(ErrorKind::kDataLoss, "decompress xz: unexpected end of stream");
    }
    return Ok();
  }

 private:
  Result<size_t> Code(std::string_view& input, std::span<char> out, lzma_action action) {
    stream_.next_in = reinterpret_cast<const uint8_t*>(input.data());
    stream_.avail_in = input.size();
    stream_.next_out = reinterpret_cast<uint8_t*>(out.data());
    stream_.avail_out = out.size();
    lzma_ret rc = lzma_code(&stream_, action);
    input.remove_prefix(input.size() - stream_.avail_in);
    if (rc == LZMA_STREAM_END) {
      ended_ = true;
    } else if (rc == LZMA_BUF_ERROR && action == LZMA_FINISH) {
      return Fail(ErrorKind::kDataLoss, "decompress xz: unexpected end of stream");
    } else if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
      return Fail(ErrorKind::kDataLoss, "decompress xz: " + Reason(rc));
    }
    return out.size() - stream_.avail_out;
  }

  static std::string Reason(lzma_ret rc) {
    switch (rc) {
      case LZMA_FORMAT_ERROR:
        return "not in the xz format";
      case LZMA_OPTIONS_ERROR:
        return "unsupported options";
      case LZMA_DATA_ERROR:
        return "corrupt data";
      case LZMA_MEM_ERROR:
        return "out of memory";
      case LZMA_UNSUPPORTED_CHECK:
        return "unsupported integrity check";
      default:
        return "error " + std::to_string(static_cast<int>(rc));
    }
  }

  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool ended_ = false;
};

class Bzip2Decompressor : public Decompressor {
 public:
  Bzip2Decompressor() = default;
  ~Bzip2Decompressor() override {
    if (started_) BZ2_bzDecompressEnd(&stream_);
  }

  Result<size_t> Decompress(std::string_view& input, std::span<char> out) override {
    // A finished stream followed by more input starts the next stream, as bzip2 -d reads them.
    if (!started_ || (stream_done_ && !input.empty())) BERTH_TRY(Restart());
    stream_.next_in = const_cast<char*>(input.data());
    stream_.avail_in = static_cast<unsigned>(std::min<size_t>(input.size(), UINT_MAX));
    stream_.next_out = out.data();
    stream_.avail_out = static_cast<unsigned>(std::min<size_t>(out.size(), UINT_MAX));
    const unsigned in_before = stream_.avail_in;
    const unsigned out_before = stream_.avail_out;
    int rc = stream_done_ ? BZ_STREAM_END : BZ2_bzDecompress(&stream_);
    input.remove_prefix(in_before - stream_.avail_in);
    if (rc == BZ_STREAM_END) {
      stream_done_ = true;
    } else if (rc != BZ_OK) {
      return Fail(ErrorKind::kDataLoss, "decompress bzip2: " + Reason(rc));
    }
    return out_before - stream_.avail_out;
  }

  Status Finish() override {
    if (!stream_done_) {
      return Fail(ErrorKind::kDataLoss, "decompress bzip2: unexpected end of stream");
    }
    return Ok();
  }

 private:
  Status Restart() {
    if (started_) BZ2_bzDecompressEnd(&stream_);
    stream_ = bz_stream{};
    started_ = false;
    int rc = BZ2_bzDecompressInit(&stream_, 0, 0);
    if (rc != BZ_OK) return Fail(ErrorKind::kResourceExhausted, "decompress bzip2: " + Reason(rc));
    started_ = true;
    stream_done_ = false;
    return Ok();
  }

  static std::string Reason(int rc) {
    switch (rc) {
      case BZ_DATA_ERROR:
        return "corrupt data";
      case BZ_DATA_ERROR_MAGIC:
        return "not in the bzip2 format";
      case BZ_MEM_ERROR:
        return "out of memory";
      default:
        return "error " + std::to_string(rc);
    }
  }

  bz_stream stream_{};
  bool started_ = false;
  bool stream_done_ = false;
};

}  // namespace

Result<Compression> DetectCompression(std::string_view head) {
  using namespace std::string_view_literals;
  if (StartsWith(head, "\x1f\x8b\x08"sv)) return Compression::kGzip;
  if (StartsWith(head, "\x28\xb5\x2f\xfd"sv)) return Compression::kZstd;
  if (StartsWith(head,
                 "\xfd"
                 "7zXZ\x00"sv))
    return Compression::kXz;
  // "BZh", the block size digit, then the block magic (the digits of pi): a tar whose first name
  // merely starts with "BZh" stays a tar.
  if (head.size() >= 10 && StartsWith(head, "BZh"sv) && head[3] >= '1' && head[3] <= '9' &&
      head.substr(4, 6) == "\x31\x41\x59\x26\x53\x59"sv) {
    return Compression::kBzip2;
  }
  if (StartsWith(head, "\x04\x22\x4d\x18"sv)) {
    return Fail(ErrorKind::kInvalidArgument,
                "unsupported compression lz4 (gzip, zstd, xz, bzip2 or none)");
  }
  return Compression::kNone;
}

Result<std::unique_ptr<Decompressor>> Decompressor::Create(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return std::make_unique<GzipDecompressor>();
    case Compression::kZstd: {
      ZSTD_DCtx* ctx = ZSTD_createDCtx();
      if (ctx == nullptr) return Fail(ErrorKind::kResourceExhausted, "create zstd context");
      return std::make_unique<ZstdDecompressor>(ctx);
    }
    case Compression::kXz: {
      auto xz = std::make_unique<XzDecompressor>();
      BERTH_TRY(xz->Init());
      return std::unique_ptr<Decompressor>(std::move(xz));
    }
    case Compression::kBzip2:
      return std::make_unique<Bzip2Decompressor>();
    case Compression::kNone:
      break;
  }
  return Fail(ErrorKind::kInvalidArgument, "no decompressor for an uncompressed layer");
}

}  // namespace berth::image::layer
