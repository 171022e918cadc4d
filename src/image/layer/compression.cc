#include "image/layer/compression.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

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

}  // namespace

Result<Compression> DetectCompression(std::string_view head) {
  using namespace std::string_view_literals;
  if (StartsWith(head, "\x1f\x8b\x08"sv)) return Compression::kGzip;
  if (StartsWith(head, "\x28\xb5\x2f\xfd"sv)) return Compression::kZstd;
  std::string_view refused;
  if (StartsWith(head,
                 "\xfd"
                 "7zXZ\x00"sv))
    refused = "xz";
  if (StartsWith(head, "\x04\x22\x4d\x18"sv)) refused = "lz4";
  // "BZh", the block size digit, then the block magic (the digits of pi): a tar whose first name
  // merely starts with "BZh" stays a tar.
  if (head.size() >= 10 && StartsWith(head, "BZh"sv) && head[3] >= '1' && head[3] <= '9' &&
      head.substr(4, 6) == "\x31\x41\x59\x26\x53\x59"sv) {
    refused = "bzip2";
  }
  if (!refused.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "unsupported compression " + std::string(refused) + " (gzip, zstd or none)");
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
    case Compression::kNone:
      break;
  }
  return Fail(ErrorKind::kInvalidArgument, "no decompressor for an uncompressed layer");
}

}  // namespace berth::image::layer
