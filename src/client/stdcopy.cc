#include "client/stdcopy.h"

#include <algorithm>

namespace berth::client {

namespace {
constexpr size_t kHeaderSize = 8;
}  // namespace

std::string FrameHeader(StdStream stream, uint32_t size) {
  std::string header(kHeaderSize, '\0');
  header[0] = static_cast<char>(stream);
  header[4] = static_cast<char>((size >> 24) & 0xff);
  header[5] = static_cast<char>((size >> 16) & 0xff);
  header[6] = static_cast<char>((size >> 8) & 0xff);
  header[7] = static_cast<char>(size & 0xff);
  return header;
}

Status Demuxer::Feed(std::string_view data, const Sink& sink) {
  while (!data.empty()) {
    if (left_ == 0) {
      size_t take = std::min(kHeaderSize - header_.size(), data.size());
      header_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (header_.size() < kHeaderSize) return Ok();
      auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(header_[i])); };
      if (byte(0) > 3) {
        return Fail(ErrorKind::kDataLoss,
                    "read output: unknown stream " + std::to_string(byte(0)) + " in frame header");
      }
      stream_ = static_cast<StdStream>(byte(0));
      left_ = (byte(4) << 24) | (byte(5) << 16) | (byte(6) << 8) | byte(7);
      header_.clear();
      continue;
    }
    size_t take = std::min<size_t>(left_, data.size());
    std::string_view piece = data.substr(0, take);
    data.remove_prefix(take);
    left_ -= static_cast<uint32_t>(take);
    if (stream_ == StdStream::kSystemErr) {
      system_err_.append(piece);
      if (left_ == 0) return Fail(ErrorKind::kUnknown, std::exchange(system_err_, {}));
      continue;
    }
    BERTH_TRY(sink(stream_, piece));
  }
  return Ok();
}

}  // namespace berth::client
