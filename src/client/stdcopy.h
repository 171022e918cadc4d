// Docker's multiplexed stdout/stderr stream (moby pkg/stdcopy): what logs, attach and exec send
// for a container without a tty. Each frame is an 8-byte header {stream, 0, 0, 0, size as 32-bit
// big-endian} and size bytes of payload; stream 0 is stdin, 1 stdout, 2 stderr and 3 an error
// the daemon reports in the middle of the stream. Demuxer is pure and fed in pieces of any size;
// one Demuxer per stream, not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::client {

enum class StdStream : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kSystemErr = 3 };

// A frame's header for payloads of that size (what servers and tests write).
std::string FrameHeader(StdStream stream, uint32_t size);

class Demuxer {
 public:
  using Sink = std::function<Status(StdStream stream, std::string_view data)>;

  // Feed consumes data, passing payload bytes to sink as they arrive (a frame's payload may be
  // passed in several pieces). A kSystemErr frame is collected whole and returned as an Error
  // with its text; an unknown stream byte is kDataLoss. A sink's error is returned as it is.
  Status Feed(std::string_view data, const Sink& sink);
  // InFrame says whether the bytes fed so far end inside a header or a payload (a truncated
  // stream when the input ended).
  bool InFrame() const { return !header_.empty() || left_ > 0; }

 private:
  std::string header_;  // a header's bytes so far
  StdStream stream_ = StdStream::kStdout;
  uint32_t left_ = 0;       // payload bytes of the current frame still to come
  std::string system_err_;  // a kSystemErr payload so far
};

}  // namespace berth::client
