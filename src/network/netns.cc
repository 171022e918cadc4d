#include "network/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <thread>

#include "base/unique_fd.h"

namespace berth::network {
namespace {

// OnThread runs fn on a new thread (whose namespaces fn may change) and waits for it.
Status OnThread(const std::function<Status()>& fn) {
  Status status = Ok();
  std::thread thread([&] { status = fn(); });
  thread.join();
  return status;
}

}  // namespace

Status CreateNetns(const std::string& path) {
  UniqueFd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!file) return Fail(ErrnoNow("create netns file " + path));
  file.Reset();
  Status made = OnThread([&]() -> Status {
    if (unshare(CLONE_NEWNET) < 0) return Fail(ErrnoNow("unshare network namespace"));
    if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return Fail(ErrnoNow("bind network namespace on " + path));
    }
    return Ok();
  });
  if (!made) unlink(path.c_str());
  return made;
}

Status RemoveNetns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    return Fail(ErrnoNow("unmount network namespace " + path));
  }
  if (unlink(path.c_str()) < 0 && errno != ENOENT) {
    return Fail(ErrnoNow("remove network namespace file " + path));
  }
  return Ok();
}

Status InNetns(const std::string& path, const std::function<Status()>& fn) {
  UniqueFd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return Fail(ErrnoNow("open network namespace " + path));
  return OnThread([&]() -> Status {
    if (setns(ns.get(), CLONE_NEWNET) < 0) return Fail(ErrnoNow("join network namespace " + path));
    return fn();
  });
}

}  // namespace berth::network
