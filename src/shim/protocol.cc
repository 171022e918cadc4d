#include "shim/protocol.h"

#include <fmt/format.h>

#include <climits>

namespace berth::shim {
namespace {

using nlohmann::json;

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

// Field readers: absent fields take their default; a field of the wrong type is an error.
Result<bool> BoolField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return false;
  if (!it->is_boolean()) return Fail(Invalid(fmt::format("\"{}\" must be a boolean", name)));
  return it->get<bool>();
}

Result<int64_t> IntField(const json& j, const char* name, int64_t min, int64_t max) {
  auto it = j.find(name);
  if (it == j.end()) return Fail(Invalid(fmt::format("\"{}\" is missing", name)));
  if (!it->is_number_integer()) {
    return Fail(Invalid(fmt::format("\"{}\" must be an integer", name)));
  }
  int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX}
                  ? INT64_MAX
                  : it->get<int64_t>();
  if (v < min || v > max) {
    return Fail(Invalid(
        fmt::format("\"{}\" must be between {} and {}, got {}", name, min, max, it->dump())));
  }
  return v;
}

Result<Request> ParseResize(const json& j) {
  ResizeRequest r;
  if (j.contains("exec_pid")) {
    BERTH_ASSIGN_OR_RETURN(int64_t pid, IntField(j, "exec_pid", 1, INT_MAX));
    r.exec_pid = static_cast<pid_t>(pid);
  }
  BERTH_ASSIGN_OR_RETURN(int64_t h, IntField(j, "height", 0, UINT16_MAX));
  BERTH_ASSIGN_OR_RETURN(int64_t w, IntField(j, "width", 0, UINT16_MAX));
  r.height = static_cast<uint16_t>(h);
  r.width = static_cast<uint16_t>(w);
  return r;
}

Result<Request> ParseOp(const std::string& op, const json& j) {
  if (op == "start") return StartRequest{};
  if (op == "pause") return PauseRequest{};
  if (op == "resume") return ResumeRequest{};
  if (op == "pids") return PidsRequest{};
  if (op == "attach") {
    AttachRequest r;
    BERTH_ASSIGN_OR_RETURN(r.use_stdin, BoolField(j, "stdin"));
    BERTH_ASSIGN_OR_RETURN(r.use_stdout, BoolField(j, "stdout"));
    BERTH_ASSIGN_OR_RETURN(r.use_stderr, BoolField(j, "stderr"));
    return r;
  }
  if (op == "resize") return ParseResize(j);
  if (op == "kill") {
    KillRequest r;
    BERTH_ASSIGN_OR_RETURN(int64_t sig, IntField(j, "signal", 1, 64));
    r.signal = static_cast<int>(sig);
    BERTH_ASSIGN_OR_RETURN(r.all, BoolField(j, "all"));
    return r;
  }
  if (op == "exec") {
    ExecRequest r;
    auto it = j.find("process");
    if (it == j.end()) return Fail(Invalid("\"process\" is missing"));
    if (!it->is_object()) return Fail(Invalid("\"process\" must be an object"));
    r.process = *it;
    BERTH_ASSIGN_OR_RETURN(r.use_stdin, BoolField(j, "stdin"));
    return r;
  }
  return Fail(Invalid(fmt::format("unknown op \"{}\"", op)));
}

}  // namespace

void AppendFrame(std::string& out, Stream stream, std::string_view payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  const char header[kFrameHeaderSize] = {static_cast<char>(stream),
                                         0,
                                         0,
                                         0,
                                         static_cast<char>(n >> 24),
                                         static_cast<char>(n >> 16),
                                         static_cast<char>(n >> 8),
                                         static_cast<char>(n)};
  out.append(header, kFrameHeaderSize);
  out.append(payload);
}

std::string EncodeFrame(Stream stream, std::string_view payload) {
  std::string out;
  AppendFrame(out, stream, payload);
  return out;
}

Result<std::optional<Frame>> FrameReader::Next() {
  if (Buffered() < kFrameHeaderSize) return std::nullopt;
  const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  if ((h[0] != 1 && h[0] != 2 && h[0] != 0xff) || h[1] || h[2] || h[3]) {
    return Fail(
        ErrorKind::kDataLoss,
        fmt::format("bad frame header: stream byte {} padding {} {} {}", h[0], h[1], h[2], h[3]));
  }
  uint32_t n = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | h[7];
  if (n > kMaxFramePayload) {
    return Fail(ErrorKind::kDataLoss, fmt::format("frame of {} bytes is too long", n));
  }
  if (Buffered() < kFrameHeaderSize + n) return std::nullopt;
  Frame f;
  f.stream = static_cast<Stream>(h[0]);
  f.payload = buffer_.substr(offset_ + kFrameHeaderSize, n);
  offset_ += kFrameHeaderSize + n;
  if (offset_ == buffer_.size() || offset_ > (1 << 16)) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return f;
}

std::string EncodeExitPayload(int exit_code) { return json{{"exit_code", exit_code}}.dump(); }

Result<int> ParseExitPayload(std::string_view payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorKind::kDataLoss, "exit frame: not a JSON object");
  }
  auto code = IntField(j, "exit_code", 0, 255);
  if (!code) return Fail(ErrorKind::kDataLoss, "exit frame: " + code.error().message());
  return static_cast<int>(*code);
}

Result<Request> ParseRequest(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) return Fail(Invalid("request is not valid JSON"));
  if (!j.is_object()) return Fail(Invalid("request must be a JSON object"));
  auto op = j.find("op");
  if (op == j.end()) return Fail(Invalid("request has no \"op\""));
  if (!op->is_string()) return Fail(Invalid("\"op\" must be a string"));
  return Annotate(ParseOp(op->get<std::string>(), j), "op " + op->get<std::string>());
}

std::string EncodeRequest(const Request& request) {
  json j = std::visit(
      [](const auto& r) -> json {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, StartRequest>) {
          return {{"op", "start"}};
        } else if constexpr (std::is_same_v<T, AttachRequest>) {
          return {{"op", "attach"},
                  {"stdin", r.use_stdin},
                  {"stdout", r.use_stdout},
                  {"stderr", r.use_stderr}};
        } else if constexpr (std::is_same_v<T, ResizeRequest>) {
          json o = {{"op", "resize"}, {"height", r.height}, {"width", r.width}};
          if (r.exec_pid) o["exec_pid"] = *r.exec_pid;
          return o;
        } else if constexpr (std::is_same_v<T, KillRequest>) {
          return {{"op", "kill"}, {"signal", r.signal}, {"all", r.all}};
        } else if constexpr (std::is_same_v<T, PauseRequest>) {
          return {{"op", "pause"}};
        } else if constexpr (std::is_same_v<T, ResumeRequest>) {
          return {{"op", "resume"}};
        } else if constexpr (std::is_same_v<T, PidsRequest>) {
          return {{"op", "pids"}};
        } else {
          return {{"op", "exec"}, {"process", r.process}, {"stdin", r.use_stdin}};
        }
      },
      request);
  return j.dump() + "\n";
}

std::string EncodeOk(json fields) {
  json j = {{"ok", true}};
  for (auto& [k, v] : fields.items()) j[k] = v;
  return j.dump() + "\n";
}

std::string EncodeError(std::string_view message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<json> ParseAnswer(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorKind::kDataLoss, "shim answer is not a JSON object");
  }
  if (auto e = j.find("error"); e != j.end() && e->is_string()) {
    return Fail(ErrorKind::kUnknown, e->get<std::string>());
  }
  if (auto ok = j.find("ok"); ok == j.end() || *ok != true) {
    return Fail(ErrorKind::kDataLoss, "shim answer has neither \"ok\" nor \"error\"");
  }
  return j;
}

}  // namespace berth::shim
