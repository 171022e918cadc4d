// Reading a container's log as docker's json-file driver wrote it (one JSON object a line:
// {"log","stream","time"}), across its rotated files (path.N ... path.1, then path), with the
// filters of GET /containers/{id}/logs: streams, since/until, tail, and follow (new lines as
// the shim appends them, until the container stops). Thread-safe; ReadLogs blocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"

namespace berth::daemon::container {

struct LogQuery {
  bool stdout_stream = true;
  bool stderr_stream = true;
  bool follow = false;
  std::optional<std::chrono::system_clock::time_point> since;  // entries at or after
  std::optional<std::chrono::system_clock::time_point> until;  // entries before
  std::optional<size_t> tail;                                  // the last N entries
};

struct LogEntry {
  int stream = 1;    // 1 stdout, 2 stderr
  std::string time;  // as written: RFC 3339 with nanoseconds, UTC
  std::string text;
};

// ReadLogs calls sink with each entry in order. With follow it then waits for more while
// running() says the container runs, polling the file; it returns when the container has stopped
// and everything written is sent, or when sink fails (the client went away). A missing log is
// an empty one; a malformed line is skipped.
Status ReadLogs(const std::string& path, const LogQuery& query,
                const std::function<bool()>& running,
                const std::function<Status(const LogEntry&)>& sink);

}  // namespace berth::daemon::container
