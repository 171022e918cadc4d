#include "shim/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/strings.h"

namespace berth::shim {
namespace {

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8 (Go's
// utf8.DecodeRune: overlong forms, surrogates and values above U+10FFFF are invalid).
size_t Utf8Length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = at(i);
  size_t n;
  uint32_t lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

// AppendJsonString escapes as docker's jsonlog.ffjsonWriteJSONBytesAsString does.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        out.push_back(static_cast<char>(b));
      } else if (b == '\\' || b == '"') {
        out.push_back('\\');
        out.push_back(static_cast<char>(b));
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else {
        out += "\\u00";
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xF]);
      }
      ++i;
      continue;
    }
    size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) end lines in JavaScript: escaped.
    if (n == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out += "\\u202";
      out.push_back(kHex[static_cast<unsigned char>(s[i + 2]) & 0xF]);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoNow("write " + path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

Result<UniqueFd> OpenLog(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return Fail(ErrnoNow("open " + path));
  return fd;
}

}  // namespace

std::string EncodeLogEntry(std::string_view text, LogStream stream,
                           std::chrono::system_clock::time_point time) {
  std::string out = "{\"log\":";
  AppendJsonString(out, text);
  out += stream == LogStream::kStdout ? ",\"stream\":\"stdout\"" : ",\"stream\":\"stderr\"";
  out += ",\"time\":\"";
  out += FormatRfc3339Nano(time);
  out += "\"}\n";
  return out;
}

Result<JsonLogWriter> JsonLogWriter::Open(const JsonLogOptions& options) {
  if (options.max_files < 1) {
    return Fail(ErrorKind::kInvalidArgument, "log max-file must be at least 1");
  }
  JsonLogWriter w(options);
  BERTH_ASSIGN_OR_RETURN(w.fd_, OpenLog(options.path));
  struct stat st {};
  if (fstat(w.fd_.get(), &st) < 0) return Fail(ErrnoNow("stat " + options.path));
  w.size_ = static_cast<uint64_t>(st.st_size);
  return w;
}

Status JsonLogWriter::Write(LogStream stream, std::string_view bytes,
                            std::chrono::system_clock::time_point now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    size_t room = kMaxLogLine - pending.size();
    if (nl != std::string_view::npos && nl < room) {
      pending.append(bytes.substr(0, nl + 1));
      bytes.remove_prefix(nl + 1);
    } else if (bytes.size() >= room) {
      // 16 KiB without a newline: docker writes what it has as a partial line.
      pending.append(bytes.substr(0, room));
      bytes.remove_prefix(room);
    } else {
      pending.append(bytes);
      return Ok();
    }
    Status s = WriteEntry(pending, stream, now);
    pending.clear();
    BERTH_TRY(s);
  }
  return Ok();
}

Status JsonLogWriter::Finish(LogStream stream, std::chrono::system_clock::time_point now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  if (pending.empty()) return Ok();
  Status s = WriteEntry(pending, stream, now);
  pending.clear();
  return s;
}

Status JsonLogWriter::WriteEntry(std::string_view text, LogStream stream,
                                 std::chrono::system_clock::time_point now) {
  if (options_.max_size > 0 && size_ >= options_.max_size) BERTH_TRY(Rotate());
  std::string entry = EncodeLogEntry(text, stream, now);
  BERTH_TRY(WriteAll(fd_.get(), entry, options_.path));
  size_ += entry.size();
  return Ok();
}

Status JsonLogWriter::Rotate() {
  const std::string& path = options_.path;
  if (options_.max_files == 1) {
    if (ftruncate(fd_.get(), 0) < 0) return Fail(ErrnoNow("truncate " + path));
    size_ = 0;
    return Ok();
  }
  auto numbered = [&](int n) { return path + "." + std::to_string(n); };
  std::string last = numbered(options_.max_files - 1);
  if (unlink(last.c_str()) < 0 && errno != ENOENT) return Fail(ErrnoNow("remove " + last));
  for (int i = options_.max_files - 1; i > 1; --i) {
    if (rename(numbered(i - 1).c_str(), numbered(i).c_str()) < 0 && errno != ENOENT) {
      return Fail(ErrnoNow("rename " + numbered(i - 1)));
    }
  }
  if (rename(path.c_str(), numbered(1).c_str()) < 0) return Fail(ErrnoNow("rename " + path));
  BERTH_ASSIGN_OR_RETURN(fd_, OpenLog(path));
  size_ = 0;
  return Ok();
}

}  // namespace berth::shim
