// The wire format of a shim's unix socket (shim.sock), shared by the shim and its clients (berthd):
// one JSON request line per connection, one JSON answer line, then op-specific data: container
// output in docker's multiplexed frames (an 8-byte header: stream byte, three zero bytes, the
// payload length big-endian) and, for exec, a last frame on stream 0xff carrying the exit code.
// README.md in this folder is the protocol's full description. Pure code, no I/O;
// thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/result.h"

namespace berth::shim {

// The stream byte of a frame: docker's 1 and 2, and the shim's own end-of-exec frame.
enum class Stream : uint8_t { kStdout = 1, kStderr = 2, kExit = 0xff };

inline constexpr size_t kFrameHeaderSize = 8;
// A frame longer than this is refused by FrameReader (the shim sends at most 64 KiB at a time).
inline constexpr uint32_t kMaxFramePayload = 16 << 20;

// AppendFrame appends the header and payload of one frame to out.
void AppendFrame(std::string& out, Stream stream, std::string_view payload);
std::string EncodeFrame(Stream stream, std::string_view payload);

struct Frame {
  Stream stream = Stream::kStdout;
  std::string payload;
};

// FrameReader splits a byte stream into frames: Feed bytes as they arrive, then take frames with
// Next until it yields nullopt (a frame is incomplete). A header with an unknown stream byte,
// non-zero padding or an oversized length is an error (kDataLoss) and stays one.
class FrameReader {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  Result<std::optional<Frame>> Next();
  // Buffered is the number of bytes fed but not yet returned in a frame.
  size_t Buffered() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
};

// The exit frame's payload: {"exit_code":N}.
std::string EncodeExitPayload(int exit_code);
Result<int> ParseExitPayload(std::string_view payload);

// Requests. Each is one op of the protocol.
struct StartRequest {};
struct AttachRequest {
  bool use_stdin = false;  // "stdin"
  bool use_stdout = false;
  bool use_stderr = false;
};
struct ResizeRequest {
  std::optional<pid_t> exec_pid;  // absent: the container's own terminal
  uint16_t height = 0;
  uint16_t width = 0;
};
struct KillRequest {
  int signal = 0;
  bool all = false;
};
struct PauseRequest {};
struct ResumeRequest {};
struct PidsRequest {};
struct ExecRequest {
  nlohmann::json process;  // the OCI process object (runtime-spec config.md "process")
  bool use_stdin = false;
};
using Request = std::variant<StartRequest, AttachRequest, ResizeRequest, KillRequest, PauseRequest,
                             ResumeRequest, PidsRequest, ExecRequest>;

// ParseRequest reads one request line (without its "\n"); errors (kInvalidArgument) name the
// field or op that is wrong.
Result<Request> ParseRequest(std::string_view line);
// EncodeRequest writes the request line a client sends, "\n" included.
std::string EncodeRequest(const Request& request);

// Answers: {"ok":true, ...fields} or {"error":"message"}, each one line with its "\n".
std::string EncodeOk(nlohmann::json fields = nlohmann::json::object());
std::string EncodeError(std::string_view message);
// ParseAnswer returns the fields of an ok answer ("ok" included); an error answer becomes an Error
// (kUnknown) with its message; a line that is neither is kDataLoss.
Result<nlohmann::json> ParseAnswer(std::string_view line);

}  // namespace berth::shim
