#include "daemon/container/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "image/store/go_time.h"

namespace berth::daemon::container {
namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(50);

std::optional<LogEntry> ParseEntry(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto log = j.find("log");
  auto stream = j.find("stream");
  auto time = j.find("time");
  if (log == j.end() || !log->is_string() || stream == j.end() || !stream->is_string()) {
    return std::nullopt;
  }
  LogEntry entry;
  entry.stream = stream->get<std::string>() == "stderr" ? 2 : 1;
  entry.text = log->get<std::string>();
  if (time != j.end() && time->is_string()) entry.time = time->get<std::string>();
  return entry;
}

bool Wanted(const LogQuery& q, const LogEntry& e) {
  if (e.stream == 1 ? !q.stdout_stream : !q.stderr_stream) return false;
  if (q.since || q.until) {
    auto t = image::store::ParseRfc3339(e.time);
    if (!t) return true;
    if (q.since && *t < *q.since) return false;
    if (q.until && *t >= *q.until) return false;
  }
  return true;
}

// A file being read line by line; a partial last line waits for the rest.
class LineFile {
 public:
  explicit LineFile(UniqueFd fd) : fd_(std::move(fd)) {}
  // ReadLines appends the complete lines now in the file to out.
  Status ReadLines(std::vector<std::string>& out) {
    char buffer[64 << 10];
    while (true) {
      ssize_t n = read(fd_.get(), buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrnoNow("read log"));
      if (n == 0) return Ok();
      pending_.append(buffer, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = pending_.find('\n', start)) != std::string::npos) {
        out.push_back(pending_.substr(start, nl - start));
        start = nl + 1;
      }
      pending_.erase(0, start);
    }
  }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::string pending_;
};

std::optional<LineFile> OpenLog(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return LineFile(std::move(fd));
}

// SameFile says whether path still names the file fd reads (rotation renames it away).
bool SameFile(const std::string& path, int fd) {
  struct stat a {
  }, b{};
  if (stat(path.c_str(), &a) < 0 || fstat(fd, &b) < 0) return false;
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

}  // namespace

Status ReadLogs(const std::string& path, const LogQuery& query,
                const std::function<bool()>& running,
                const std::function<Status(const LogEntry&)>& sink) {
  if (path.empty()) return Ok();
  // The rotated files, oldest first, then the current one.
  std::vector<std::string> files;
  for (int i = 1;; ++i) {
    std::string rotated = path + "." + std::to_string(i);
    if (access(rotated.c_str(), F_OK) != 0) break;
    files.insert(files.begin(), rotated);
  }
  std::vector<std::string> lines;
  for (const std::string& file : files) {
    if (std::optional<LineFile> f = OpenLog(file)) BERTH_TRY(f->ReadLines(lines));
  }
  std::optional<LineFile> current = OpenLog(path);
  if (current) BERTH_TRY(current->ReadLines(lines));
  std::deque<LogEntry> entries;
  for (const std::string& line : lines) {
    std::optional<LogEntry> e = ParseEntry(line);
    if (!e || !Wanted(query, *e)) continue;
    entries.push_back(std::move(*e));
    if (query.tail && entries.size() > *query.tail) entries.pop_front();
  }
  for (const LogEntry& e : entries) BERTH_TRY(sink(e));
  if (!query.follow) return Ok();
  while (true) {
    const bool was_running = running();
    if (!current) current = OpenLog(path);
    bool rotated = false;
    if (current) {
      lines.clear();
      BERTH_TRY(current->ReadLines(lines));
      for (const std::string& line : lines) {
        std::optional<LogEntry> e = ParseEntry(line);
        if (e && Wanted(query, *e)) BERTH_TRY(sink(*e));
      }
      rotated = !SameFile(path, current->fd());
    }
    if (rotated) {
      current.reset();  // drained; the new file is opened on the next round
      continue;
    }
    // Stopped before this round read: everything the shim wrote has been sent.
    if (!was_running) return Ok();
    std::this_thread::sleep_for(kFollowPoll);
  }
}

}  // namespace berth::daemon::container
