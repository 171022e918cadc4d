#include "shim/event_loop.h"

#include <cerrno>

namespace berth::shim {
namespace {

uint64_t Key(int fd, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

}  // namespace

Result<EventLoop> EventLoop::Create() {
  EventLoop loop;
  loop.epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!loop.epoll_) return Fail(ErrnoNow("epoll_create1"));
  return loop;
}

Status EventLoop::Add(int fd, uint32_t events, Handler handler) {
  uint32_t generation = next_generation_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Key(fd, generation);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    return Fail(ErrnoNow("epoll_ctl add fd " + std::to_string(fd)));
  }
  handlers_[fd] = Entry{generation, std::make_shared<Handler>(std::move(handler))};
  return Ok();
}

Status EventLoop::Modify(int fd, uint32_t events) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end()) {
    return Fail(ErrorKind::kNotFound, "epoll: fd " + std::to_string(fd) + " is not watched");
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Key(fd, it->second.generation);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) {
    return Fail(ErrnoNow("epoll_ctl mod fd " + std::to_string(fd)));
  }
  return Ok();
}

void EventLoop::Remove(int fd) {
  if (handlers_.erase(fd) > 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Status EventLoop::RunOnce(int timeout_ms) {
  epoll_event events[32];
  int n = epoll_wait(epoll_.get(), events, 32, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return Ok();
    return Fail(ErrnoNow("epoll_wait"));
  }
  for (int i = 0; i < n; ++i) {
    const int fd = static_cast<int>(static_cast<uint32_t>(events[i].data.u64));
    const auto generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
    auto it = handlers_.find(fd);
    if (it == handlers_.end() || it->second.generation != generation) continue;
    // The handler may remove itself: keep it alive while it runs.
    std::shared_ptr<Handler> handler = it->second.handler;
    (*handler)(events[i].events);
  }
  return Ok();
}

}  // namespace berth::shim
