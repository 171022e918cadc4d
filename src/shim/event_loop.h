// A single-threaded epoll loop: descriptors with a handler each, called with the epoll events that
// occurred. Handlers may add, change and remove descriptors (their own included) while running; an
// event for a descriptor removed meanwhile is dropped, even if its number was reused. The loop
// does not own the descriptors. Not thread-safe.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::shim {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  static Result<EventLoop> Create();

  Status Add(int fd, uint32_t events, Handler handler);
  Status Modify(int fd, uint32_t events);
  // Remove forgets fd; removing an unknown fd does nothing.
  void Remove(int fd);
  bool Contains(int fd) const { return handlers_.count(fd) > 0; }

  // RunOnce waits up to timeout_ms (-1: no limit) for events and calls their handlers.
  Status RunOnce(int timeout_ms);

 private:
  struct Entry {
    uint32_t generation;
    std::shared_ptr<Handler> handler;
  };

  EventLoop() = default;

  UniqueFd epoll_;
  uint32_t next_generation_ = 1;
  std::unordered_map<int, Entry> handlers_;
};

}  // namespace berth::shim
