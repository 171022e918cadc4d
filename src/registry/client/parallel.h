// What pulls and pushes share: the lines of docker's progress stream they send, and running one
// job per blob on a few threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "base/result.h"

namespace berth::registry::client {

// One line of docker's progress stream: {"status", "id", "progressDetail"}; with_bar when
// current and total make a bar ("Downloading", "Pushing").
struct ProgressLine {
  std::string status;
  std::string id;
  int64_t current = 0;
  int64_t total = 0;
  bool with_bar = false;
};

using LineSink = std::function<Status(const ProgressLine&)>;

// SerialisedSink passes lines on to a sink one at a time, whichever thread sends them.
class SerialisedSink {
 public:
  explicit SerialisedSink(const LineSink& sink) : sink_(sink) {}
  Status operator()(const ProgressLine& line) {
    if (!sink_) return Ok();
    std::lock_guard lock(mu_);
    return sink_(line);
  }

 private:
  const LineSink& sink_;
  std::mutex mu_;
};

// Line is a line without a bar.
inline ProgressLine Line(std::string status, std::string id = "") {
  return {.status = std::move(status), .id = std::move(id)};
}

// RunParallel runs job(i, stop) for i in [0, count), at most parallel at once (the calling
// thread is one of them). After the first failure no job starts, and stop() turns true for the
// running ones. Returns the first real failure (not a kCancelled it caused).
Status RunParallel(size_t count, int parallel,
                   const std::function<Status(size_t i, const std::function<bool()>& stop)>& job);

}  // namespace berth::registry::client
