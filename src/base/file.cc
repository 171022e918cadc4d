#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/unique_fd.h"

namespace berth {

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + path));
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoNow("read " + path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

static Status WriteAll(int fd, std::string_view data, const std::string& path) {
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

Status WriteFile(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Fail(ErrnoNow("open " + path));
  return WriteAll(fd.get(), data, path);
}

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                       Lifetime lifetime) {
  const bool durable = lifetime == Lifetime::kDurable;
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Fail(ErrnoNow("open " + tmp));
  Status written = WriteAll(fd.get(), data, tmp);
  if (written && durable && fsync(fd.get()) < 0) written = Fail(ErrnoNow("fsync " + tmp));
  if (written && rename(tmp.c_str(), path.c_str()) < 0) {
    written = Fail(ErrnoNow("rename " + tmp + " to " + path));
  }
  if (!written) {
    unlink(tmp.c_str());
    return written;
  }
  if (!durable) return Ok();
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir.push_back('.');
  UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) return Fail(ErrnoNow("open " + dir));
  if (fsync(dfd.get()) < 0) return Fail(ErrnoNow("fsync " + dir));
  return Ok();
}

Status MakeDirs(const std::string& path, mode_t mode) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(path, ec);
  if (ec) return Fail(Errno(ec.value(), "mkdir " + path));
  if (created && chmod(path.c_str(), mode) < 0) return Fail(ErrnoNow("chmod " + path));
  return Ok();
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Fail(Errno(ec.value(), "remove " + path));
  return Ok();
}

}  // namespace berth
