#include "registry/client/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace berth::registry::client {

Status RunParallel(size_t count, int parallel,
                   const std::function<Status(size_t i, const std::function<bool()>& stop)>& job) {
  std::atomic<size_t> next = 0;
  std::atomic<bool> failed = false;
  std::mutex mu;
  std::optional<Error> first_error;
  const std::function<bool()> stop = [&] { return failed.load(); };
  auto worker = [&] {
    for (size_t i = next++; i < count && !failed; i = next++) {
      Status done = job(i, stop);
      if (done) continue;
      std::lock_guard lock(mu);
      if (!first_error || first_error->kind() == ErrorKind::kCancelled) {
        first_error = std::move(done).error();
      }
      failed = true;
    }
  };
  const size_t threads_wanted = std::min(count, static_cast<size_t>(std::max(1, parallel)));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < threads_wanted; ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& thread : threads) thread.join();
  if (first_error) return Fail(std::move(*first_error));
  return Ok();
}

}  // namespace berth::registry::client
