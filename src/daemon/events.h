// Events: what happened to containers and images, as docker's GET /events reports it. The daemon's
// services publish; readers get the events kept (the last 1024) from a point in time, then follow
// new ones as they are published. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::daemon {

struct Event {
  std::string type;    // "container", "image", "network"
  std::string action;  // "create", "start", "die", "exec_start: sh", "tag", ...
  std::string id;      // the actor: a container id, an image id or name
  std::map<std::string, std::string> attributes;  // name, image, exitCode, signal, labels
  int64_t time_nano = 0;                          // set by Publish
};

// Docker's event filters: type, event (action), container (id or name), image, label, network
// (id or name).
using EventFilters = std::map<std::string, std::vector<std::string>>;
// CheckEventFilters refuses names docker does not know (kInvalidArgument "invalid filter 'x'").
Status CheckEventFilters(const EventFilters& filters);
bool EventMatches(const Event& event, const EventFilters& filters);

class Events {
 public:
  void Publish(Event event);
  // Stream calls sink with the kept events at or after since (none without since), then, until
  // until passes or sink fails, with each new event. Without until it follows until the sink
  // fails or Close is called.
  Status Stream(std::optional<std::chrono::system_clock::time_point> since,
                std::optional<std::chrono::system_clock::time_point> until,
                const EventFilters& filters, const std::function<Status(const Event&)>& sink);
  // Close ends every stream (daemon shutdown).
  void Close();

 private:
  static constexpr size_t kKept = 1024;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> kept_;
  uint64_t published_ = 0;  // events published in all; kept_ holds the last ones
  bool closed_ = false;
};

}  // namespace berth::daemon
