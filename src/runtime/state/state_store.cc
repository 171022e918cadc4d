#include "runtime/state/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime {

Status ValidateId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 1024 && id != "." && id != "..";
  for (char c : id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '+' || c == '.' || c == '-';
    ok = ok && allowed;
  }
  if (!ok) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid container id \"" + std::string(id) + "\": use letters, digits, _ + . -");
  }
  return Ok();
}

static Result<UniqueFd> LockDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + dir));
  if (flock(fd.get(), LOCK_EX) < 0) return Fail(ErrnoNow("lock " + dir));
  return fd;
}

Result<UniqueFd> StateStore::CreateDir(const std::string& id) {
  BERTH_TRY(ValidateId(id));
  BERTH_TRY(MakeDirs(root_, 0700));
  std::string dir = Dir(id);
  if (mkdir(dir.c_str(), 0700) < 0) {
    if (errno == EEXIST) {
      return Fail(ErrorKind::kAlreadyExists, "container with id \"" + id + "\" already exists");
    }
    return Fail(ErrnoNow("mkdir " + dir));
  }
  return LockDir(dir);
}

Result<UniqueFd> StateStore::Lock(const std::string& id) {
  BERTH_TRY(ValidateId(id));
  auto fd = LockDir(Dir(id));
  if (!fd && fd.error().kind() == ErrorKind::kNotFound) {
    return Fail(ErrorKind::kNotFound, "container \"" + id + "\" does not exist");
  }
  return fd;
}

Status StateStore::Save(const ContainerRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"bundle", r.bundle},
                      {"ready", r.ready},
                      {"pid", r.pid},
                      {"pid_start_time", r.pid_start_time},
                      {"created", r.created},
                      {"owner", r.owner},
                      {"cgroup", r.cgroup},
                      {"annotations", r.annotations}};
  return WriteFileAtomic(Dir(r.id) + "/state.json", j.dump(), 0600, Lifetime::kUntilReboot);
}

Result<ContainerRecord> StateStore::Load(const std::string& id) const {
  BERTH_TRY(ValidateId(id));
  std::string path = Dir(id) + "/state.json";
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) {
      return Fail(ErrorKind::kNotFound, "container \"" + id + "\" does not exist");
    }
    return Fail(std::move(text).error());
  }
  try {
    auto j = nlohmann::json::parse(*text);
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.bundle = j.at("bundle").get<std::string>();
    r.ready = j.value("ready", false);
    r.pid = j.at("pid").get<pid_t>();
    r.pid_start_time = j.at("pid_start_time").get<uint64_t>();
    r.created = j.at("created").get<std::string>();
    r.owner = j.value("owner", "");
    r.cgroup = j.value("cgroup", "");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kDataLoss, "read " + path + ": " + e.what());
  }
}

Status StateStore::Remove(const std::string& id) {
  BERTH_TRY(ValidateId(id));
  return RemoveAll(Dir(id));
}

Result<std::vector<std::string>> StateStore::List() const {
  std::vector<std::string> ids;
  DIR* dir = opendir(root_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return ids;
    return Fail(ErrnoNow("open " + root_));
  }
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR && ValidateId(name)) ids.push_back(name);
  }
  closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<uint64_t> ProcessStartTime(pid_t pid) {
  BERTH_ASSIGN_OR_RETURN(std::string stat, ReadFile("/proc/" + std::to_string(pid) + "/stat"));
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last
  // ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return Fail(ErrorKind::kDataLoss, "parse /proc/PID/stat");
  std::vector<std::string> fields = Split(TrimSpace(std::string_view(stat).substr(close + 1)), ' ');
  // fields[0] is field 3 (state); field 22 is fields[19].
  if (fields.size() < 20) return Fail(ErrorKind::kDataLoss, "parse /proc/PID/stat: too short");
  if (fields[0] == "Z" || fields[0] == "X") {
    return Fail(ErrorKind::kNotFound, "process " + std::to_string(pid) + " has exited");
  }
  return ParseUint64(fields[19]);
}

bool ProcessAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto t = ProcessStartTime(pid);
  return t && *t == start_time;
}

}  // namespace berth::runtime
