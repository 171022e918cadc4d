#include "daemon/events.h"

#include <set>

#include "image/store/image_views.h"

namespace berth::daemon {
namespace {

int64_t NanosOf(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool AnyOf(const std::vector<std::string>& values,
           const std::function<bool(const std::string&)>& f) {
  for (const std::string& v : values) {
    if (f(v)) return true;
  }
  return false;
}

std::string Attribute(const Event& e, const std::string& key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? "" : it->second;
}

}  // namespace

Status CheckEventFilters(const EventFilters& filters) {
  static const std::set<std::string> kKnown = {"type",  "event", "container",
                                               "image", "label", "network"};
  for (const auto& [key, values] : filters) {
    if (!kKnown.contains(key))
      return Fail(ErrorKind::kInvalidArgument, "invalid filter '" + key + "'");
  }
  return Ok();
}

bool EventMatches(const Event& e, const EventFilters& filters) {
  for (const auto& [key, values] : filters) {
    if (values.empty()) continue;
    bool match = false;
    if (key == "type") {
      match = AnyOf(values, [&](const std::string& v) { return v == e.type; });
    } else if (key == "event") {
      // "exec_start" matches "exec_start: sh -c ...", as docker's does.
      const std::string action = e.action.substr(0, e.action.find(':'));
      match = AnyOf(values, [&](const std::string& v) { return v == e.action || v == action; });
    } else if (key == "container") {
      match = e.type == "container" && AnyOf(values, [&](const std::string& v) {
                return v == Attribute(e, "name") || (!v.empty() && e.id.starts_with(v));
              });
    } else if (key == "image") {
      match = AnyOf(values, [&](const std::string& v) {
        return v == Attribute(e, "image") ||
               (e.type == "image" && (v == e.id || v == Attribute(e, "name")));
      });
    } else if (key == "network") {
      match = e.type == "network" && AnyOf(values, [&](const std::string& v) {
                return v == Attribute(e, "name") || (!v.empty() && e.id.starts_with(v));
              });
    } else if (key == "label") {
      match = image::store::MatchLabels(values, e.attributes);
    }
    if (!match) return false;
  }
  return true;
}

void Events::Publish(Event event) {
  std::lock_guard lock(mu_);
  event.time_nano = NanosOf(std::chrono::system_clock::now());
  kept_.push_back(std::move(event));
  if (kept_.size() > kKept) kept_.pop_front();
  ++published_;
  cv_.notify_all();
}

void Events::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

Status Events::Stream(std::optional<std::chrono::system_clock::time_point> since,
                      std::optional<std::chrono::system_clock::time_point> until,
                      const EventFilters& filters,
                      const std::function<Status(const Event&)>& sink) {
  std::unique_lock lock(mu_);
  // Events are sent without the lock held; `next` counts the events already seen.
  uint64_t next = since ? published_ - kept_.size() : published_;
  const int64_t since_ns = since ? NanosOf(*since) : 0;
  const int64_t until_ns = until ? NanosOf(*until) : INT64_MAX;
  while (true) {
    const uint64_t first_kept = published_ - kept_.size();
    if (next < first_kept) next = first_kept;  // fell behind: what was dropped is gone
    std::vector<Event> batch;
    for (; next < published_; ++next) {
      const Event& e = kept_[next - first_kept];
      if (e.time_nano >= since_ns && e.time_nano < until_ns && EventMatches(e, filters)) {
        batch.push_back(e);
      }
    }
    lock.unlock();
    for (const Event& e : batch) BERTH_TRY(sink(e));
    if (until && std::chrono::system_clock::now() >= *until) return Ok();
    lock.lock();
    if (closed_) return Ok();
    auto more = [&] { return published_ > next || closed_; };
    if (until) {
      cv_.wait_until(lock, *until, more);
    } else {
      cv_.wait(lock, more);
    }
  }
}

}  // namespace berth::daemon
