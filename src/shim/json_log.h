// The container's log in docker's json-file format: one JSON object a line,
//   {"log":"text\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}
// escaped as docker's jsonlog does (HTML characters and control bytes as \u00XX, invalid UTF-8 as
// \ufffd). Output is cut into lines at "\n"; a line is written without its newline when its stream
// ends or when 16 KiB accumulate without one, as docker's copier does. With a maximum size, the
// file is rotated as docker's json-file driver rotates it: before an entry is written, a file that
// has reached the size moves to FILE.1 (FILE.1 to FILE.2, ...), keeping max_files files in all;
// with max_files 1 the file is truncated instead. One writer owns the files; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::shim {

enum class LogStream { kStdout, kStderr };

struct JsonLogOptions {
  std::string path;
  uint64_t max_size = 0;  // bytes; 0: never rotate
  int max_files = 1;      // files kept in all, FILE included (>= 1)
};

// The longest line docker's copier keeps before writing it as a partial entry.
inline constexpr size_t kMaxLogLine = 16 * 1024;

// EncodeLogEntry renders one line of the file, "\n" included.
std::string EncodeLogEntry(std::string_view text, LogStream stream,
                           std::chrono::system_clock::time_point time);

class JsonLogWriter {
 public:
  // Open appends to path (created 0640 if missing), counting what it already holds.
  static Result<JsonLogWriter> Open(const JsonLogOptions& options);

  // Write takes output of one stream as it arrives and writes every line it completes.
  Status Write(LogStream stream, std::string_view bytes, std::chrono::system_clock::time_point now);
  // Finish writes what is left of the stream's last line (the stream has ended).
  Status Finish(LogStream stream, std::chrono::system_clock::time_point now);

 private:
  explicit JsonLogWriter(JsonLogOptions options) : options_(std::move(options)) {}
  Status WriteEntry(std::string_view text, LogStream stream,
                    std::chrono::system_clock::time_point now);
  Status Rotate();

  JsonLogOptions options_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string pending_[2];  // the unfinished line of stdout and of stderr
};

}  // namespace berth::shim
