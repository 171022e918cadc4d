#include "runtime/cgroup/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/device_filter.h"

namespace berth::runtime::cgroup {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kFreezeTimeout(5000);
constexpr milliseconds kRemoveTimeout(2000);

std::string Parent(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

// Writes value with one write(2), as cgroup files expect. The file must exist: cgroup files are
// made by the kernel, and a missing one means the kernel lacks the feature.
Status WriteExisting(const std::string& path, std::string_view value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + path));
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Fail(ErrnoNow("write " + path));
  if (static_cast<size_t>(n) != value.size()) {
    return Fail(ErrorKind::kInternal, fmt::format("write {}: short write", path));
  }
  return Ok();
}

Result<std::string> ReadTrimmed(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return std::string(TrimSpace(text));
}

// Why a planned file can be missing, for the error message.
std::string MissingHint(const std::string& file, bool v2) {
  if (file == "memory.memsw.limit_in_bytes") {
    return " (swap accounting is off, so memory.swap may only equal memory.limit or be -1)";
  }
  if (v2) return " (is the controller enabled in the parent's cgroup.subtree_control?)";
  return "";
}

// The directories from below mount_point down to path, each of which may need making.
Result<std::vector<std::string>> DirChain(const std::string& mount_point, const std::string& path) {
  std::filesystem::path rel = std::filesystem::path(path).lexically_relative(mount_point);
  if (rel.empty() || *rel.begin() == "..") {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("place cgroup {}: not below {}", path, mount_point));
  }
  std::vector<std::string> chain;
  std::filesystem::path dir = mount_point;
  for (const auto& part : rel) {
    dir /= part;
    chain.push_back(dir.string());
  }
  return chain;
}

// A new v1 cpuset is empty and refuses tasks; it gets its parent's CPUs and memory nodes.
Status InheritCpuset(const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    std::string path = dir + "/" + file;
    BERTH_ASSIGN_OR_RETURN(std::string own, ReadTrimmed(path));
    if (!own.empty()) continue;
    BERTH_ASSIGN_OR_RETURN(std::string parent, ReadTrimmed(Parent(dir) + "/" + file));
    BERTH_TRY(WriteExisting(path, parent));
  }
  return Ok();
}

// Best effort: the kernel refuses controllers the parent lacks and, below the root, controllers
// for a cgroup that holds processes itself. A limit that then cannot be set fails in Apply,
// naming its file.
void EnableControllers(const std::string& dir, const std::vector<std::string>& controllers) {
  Result<std::string> enabled = ReadFile(dir + "/cgroup.subtree_control");
  if (!enabled) return;
  std::vector<std::string> present = Split(TrimSpace(*enabled), ' ');
  for (const std::string& c : controllers) {
    if (std::find(present.begin(), present.end(), c) != present.end()) continue;
    Status written = WriteExisting(dir + "/cgroup.subtree_control", "+" + c);
    if (!written) log::Debug("enable cgroup controller {}: {}", c, written.error().message());
  }
}

// v1 has only v1 hierarchies, v2 exactly the unified one, hybrid both.
Status CheckShape(Mode mode, size_t v1, size_t v2) {
  bool ok = (mode == Mode::kV1 && v1 > 0 && v2 == 0) || (mode == Mode::kV2 && v1 == 0 && v2 == 1) ||
            (mode == Mode::kHybrid && v1 > 0 && v2 == 1);
  if (!ok) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("check cgroup layout: mode {} with {} v1 and {} v2 hierarchies",
                            ModeName(mode), v1, v2));
  }
  return Ok();
}

// The controllers to enable in the unified hierarchy: all it offers on v2, on hybrid those no v1
// hierarchy provides.
std::vector<std::string> V2Wanted(const Layout& layout, const Hierarchy& unified) {
  std::vector<std::string> wanted;
  for (const std::string& c : unified.controllers) {
    bool in_v1 =
        std::any_of(layout.hierarchies.begin(), layout.hierarchies.end(), [&](const Hierarchy& h) {
          return !h.v2 &&
                 std::any_of(h.controllers.begin(), h.controllers.end(),
                             [&](const std::string& v1c) { return V2ControllerFor(v1c) == c; });
        });
    if (!in_v1) wanted.push_back(c);
  }
  return wanted;
}

// Makes one directory unless it exists; true when it is new.
Result<bool> MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0) return true;
  if (errno != EEXIST) return Fail(ErrnoNow("mkdir " + path));
  return false;
}

Result<std::vector<std::string>> SubDirs(const std::string& dir) {
  std::vector<std::string> subdirs;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) subdirs.push_back(it->path().string());
  }
  if (ec && ec.value() != ENOENT) return Fail(Errno(ec.value(), "list " + dir));
  return subdirs;
}

// Removes dir and the cgroups below it. rmdir fails with EBUSY while the kernel still counts
// a process that is exiting, so that is retried for a while.
Status RemoveTree(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> subdirs, SubDirs(dir));
  for (const std::string& sub : subdirs) BERTH_TRY(RemoveTree(sub));
  auto deadline = steady_clock::now() + kRemoveTimeout;
  while (rmdir(dir.c_str()) < 0) {
    if (errno == ENOENT) return Ok();
    if (errno != EBUSY || steady_clock::now() > deadline) return Fail(ErrnoNow("rmdir " + dir));
    std::this_thread::sleep_for(milliseconds(10));
  }
  return Ok();
}

Status CollectPids(const std::string& dir, std::vector<pid_t>& out) {
  Result<std::string> procs = ReadFile(dir + "/cgroup.procs");
  if (!procs) {
    if (procs.error().sys_errno() == ENOENT) return Ok();  // removed meanwhile
    return Fail(procs.error());
  }
  for (const std::string& line : Split(*procs, '\n')) {
    if (TrimSpace(line).empty()) continue;
    BERTH_ASSIGN_OR_RETURN(int64_t pid,
                           Annotate(ParseInt64(TrimSpace(line)), "parse " + dir + "/cgroup.procs"));
    out.push_back(static_cast<pid_t>(pid));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> subdirs, SubDirs(dir));
  for (const std::string& sub : subdirs) BERTH_TRY(CollectPids(sub, out));
  return Ok();
}

// Polls until check() says true or the timeout passes; false on timeout.
template <typename Check>
Result<bool> WaitFor(Check check) {
  auto deadline = steady_clock::now() + kFreezeTimeout;
  milliseconds pause(1);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool done, check());
    if (done) return true;
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(50));
  }
}

// cgroup.events holds "populated 0|1" and "frozen 0|1" lines.
Result<bool> V2Frozen(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::string events, ReadFile(dir + "/cgroup.events"));
  for (const std::string& line : Split(events, '\n')) {
    if (TrimSpace(line) == "frozen 1") return true;
  }
  return false;
}

}  // namespace

Result<Cgroup> Cgroup::Create(const Layout& layout, std::string_view cgroups_path) {
  size_t v2_count = std::count_if(layout.hierarchies.begin(), layout.hierarchies.end(),
                                  [](const Hierarchy& h) { return h.v2; });
  BERTH_TRY(CheckShape(layout.mode, layout.hierarchies.size() - v2_count, v2_count));
  std::vector<std::string> made;
  ScopeExit undo([&made] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) rmdir(it->c_str());
  });
  std::vector<Dir> dirs;
  for (const Hierarchy& h : layout.hierarchies) {
    BERTH_ASSIGN_OR_RETURN(std::string path, ContainerDir(h, cgroups_path));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> chain, DirChain(h.mount_point, path));
    std::vector<std::string> enable = h.v2 ? V2Wanted(layout, h) : std::vector<std::string>{};
    for (const std::string& dir : chain) {
      if (h.v2) EnableControllers(Parent(dir), enable);
      BERTH_ASSIGN_OR_RETURN(bool created, MakeDir(dir));
      if (created) made.push_back(dir);
      if (!h.v2 && h.Has("cpuset")) BERTH_TRY(Annotate(InheritCpuset(dir), "set up cpuset"));
    }
    dirs.push_back(Dir{.v2 = h.v2, .controllers = h.controllers, .path = path});
  }
  undo.Dismiss();
  return Cgroup(layout.mode, std::move(dirs));
}

Result<Cgroup> Cgroup::Load(std::string_view saved) {
  try {
    nlohmann::json j = nlohmann::json::parse(saved);
    BERTH_ASSIGN_OR_RETURN(Mode mode, ParseMode(j.at("mode").get<std::string>()));
    std::vector<Dir> dirs;
    for (const nlohmann::json& d : j.at("dirs")) {
      dirs.push_back(Dir{.v2 = d.at("v2").get<bool>(),
                         .controllers = d.at("controllers").get<std::vector<std::string>>(),
                         .path = d.at("path").get<std::string>()});
    }
    size_t v2_count = std::count_if(dirs.begin(), dirs.end(), [](const Dir& d) { return d.v2; });
    BERTH_TRY(Annotate(CheckShape(mode, dirs.size() - v2_count, v2_count), "load saved cgroup"));
    return Cgroup(mode, std::move(dirs));
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kDataLoss, fmt::format("load saved cgroup: {}", e.what()));
  }
}

std::string Cgroup::Save() const {
  nlohmann::json dirs = nlohmann::json::array();
  for (const Dir& d : dirs_) {
    dirs.push_back({{"v2", d.v2}, {"controllers", d.controllers}, {"path", d.path}});
  }
  return nlohmann::json{{"mode", ModeName(mode_)}, {"dirs", dirs}}.dump();
}

const Cgroup::Dir* Cgroup::V1DirWith(std::string_view controller) const {
  for (const Dir& d : dirs_) {
    if (!d.v2 &&
        std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end()) {
      return &d;
    }
  }
  return nullptr;
}

const Cgroup::Dir* Cgroup::V2Dir() const {
  for (const Dir& d : dirs_) {
    if (d.v2) return &d;
  }
  return nullptr;
}

Status Cgroup::Write(const std::vector<std::pair<const Dir*, FileWrite>>& writes) {
  std::vector<bool> done(writes.size(), false);
  auto write_one = [&](size_t i) -> Status {
    const auto& [dir, w] = writes[i];
    done[i] = true;
    std::string path = dir->path + "/" + w.file;
    if (!w.fallback.empty() && access(path.c_str(), F_OK) < 0 && errno == ENOENT) {
      path = dir->path + "/" + w.fallback;
    }
    Status written = WriteExisting(path, w.value);
    if (!written && written.error().sys_errno() == ENOENT) {
      if (w.optional) return Ok();
      const Error& e = written.error();
      return Fail(Error(e.kind(), e.message() + MissingHint(w.file, dir->v2), e.sys_errno()));
    }
    return Annotate(std::move(written), fmt::format("set {} to \"{}\"", w.file, w.value));
  };
  for (size_t i = 0; i < writes.size(); ++i) {
    if (done[i]) continue;
    Status written = write_one(i);
    // v1 refuses a memory limit above the current memory+swap limit: when raising both, the
    // memory+swap limit has to go first.
    if (!written && writes[i].second.file == "memory.limit_in_bytes" &&
        written.error().sys_errno() == EINVAL) {
      for (size_t j = i + 1; j < writes.size(); ++j) {
        if (writes[j].second.file != "memory.memsw.limit_in_bytes") continue;
        BERTH_TRY(write_one(j));
        written = write_one(i);
        break;
      }
    }
    BERTH_TRY(written);
  }
  return Ok();
}

Status Cgroup::ApplyV1(const std::vector<FileWrite>& plan) {
  std::vector<std::pair<const Dir*, FileWrite>> writes;
  for (const FileWrite& w : plan) {
    const Dir* dir = V1DirWith(w.controller);
    if (dir == nullptr) {
      if (w.optional) continue;
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("apply linux.resources: no cgroup v1 hierarchy has the {} "
                              "controller (needed for {})",
                              w.controller, w.file));
    }
    writes.emplace_back(dir, w);
  }
  return Write(writes);
}

Status Cgroup::Apply(const oci::Resources& resources) {
  const Dir* v2 = V2Dir();
  switch (mode_) {
    case Mode::kV1: {
      BERTH_ASSIGN_OR_RETURN(std::vector<FileWrite> plan, PlanV1(resources));
      return ApplyV1(plan);
    }
    case Mode::kHybrid: {
      std::vector<std::string> v1_controllers;
      for (const Dir& d : dirs_) {
        if (d.v2) continue;
        v1_controllers.insert(v1_controllers.end(), d.controllers.begin(), d.controllers.end());
      }
      BERTH_ASSIGN_OR_RETURN(HybridPlan plan,
                             PlanHybrid(resources, v1_controllers, v2->controllers));
      BERTH_TRY(ApplyV1(plan.v1));
      std::vector<std::pair<const Dir*, FileWrite>> writes;
      for (const FileWrite& w : plan.v2) writes.emplace_back(v2, w);
      return Write(writes);
    }
    case Mode::kV2: {
      BERTH_ASSIGN_OR_RETURN(std::vector<FileWrite> plan, PlanV2(resources));
      std::vector<std::pair<const Dir*, FileWrite>> writes;
      for (const FileWrite& w : plan) writes.emplace_back(v2, w);
      BERTH_TRY(Write(writes));
      if (resources.devices.empty()) return Ok();
      BERTH_ASSIGN_OR_RETURN(std::vector<DeviceRule> rules,
                             NormalizeDeviceRules(resources.devices));
      return Annotate(AttachDeviceFilter(v2->path, DeviceFilterProgram(rules)),
                      "apply linux.resources.devices");
    }
  }
  return Ok();
}

Status Cgroup::AddToUnified(pid_t pid) {
  const Dir* v2 = V2Dir();
  if (v2 == nullptr) return Ok();
  return Annotate(WriteExisting(v2->path + "/cgroup.procs", std::to_string(pid)),
                  fmt::format("add process {} to cgroup", pid));
}

Result<Cgroup::Entry> Cgroup::OpenEntry() const {
  Entry entry;
  for (const Dir& d : dirs_) {
    if (d.v2) {
      entry.v2_dir.Reset(open(d.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!entry.v2_dir) return Fail(ErrnoNow("open " + d.path));
      continue;
    }
    std::string path = d.path + "/tasks";
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Fail(ErrnoNow("open " + path));
    entry.v1_tasks.push_back({std::move(fd), std::move(path)});
  }
  return entry;
}

const char* Cgroup::JoinSelf(const Entry& entry) noexcept {
  for (const Entry::TasksFile& tasks : entry.v1_tasks) {
    ssize_t n;
    do {
      n = write(tasks.fd.get(), "0", 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) return tasks.path.c_str();
  }
  return nullptr;
}

Status Cgroup::Freeze() {
  if (const Dir* d = V1DirWith("freezer")) {
    std::string state = d->path + "/freezer.state";
    // Writing FROZEN again nudges tasks that were busy when the first request came.
    BERTH_ASSIGN_OR_RETURN(bool frozen, WaitFor([&]() -> Result<bool> {
                             BERTH_TRY(WriteExisting(state, "FROZEN"));
                             BERTH_ASSIGN_OR_RETURN(std::string now, ReadTrimmed(state));
                             return now == "FROZEN";
                           }));
    if (frozen) return Ok();
  } else if (const Dir* v2 = V2Dir()) {
    BERTH_TRY(WriteExisting(v2->path + "/cgroup.freeze", "1"));
    BERTH_ASSIGN_OR_RETURN(bool frozen, WaitFor([&] { return V2Frozen(v2->path); }));
    if (frozen) return Ok();
  } else {
    return Fail(ErrorKind::kFailedPrecondition, "freeze cgroup: no freezer hierarchy is mounted");
  }
  Status thawed = Thaw();
  if (!thawed) log::Warn("thaw after a failed freeze: {}", thawed.error().message());
  return Fail(ErrorKind::kDeadlineExceeded,
              fmt::format("freeze cgroup: not frozen after {} ms", kFreezeTimeout.count()));
}

Status Cgroup::Thaw() {
  if (const Dir* d = V1DirWith("freezer")) {
    return WriteExisting(d->path + "/freezer.state", "THAWED");
  }
  if (const Dir* v2 = V2Dir()) return WriteExisting(v2->path + "/cgroup.freeze", "0");
  return Fail(ErrorKind::kFailedPrecondition, "thaw cgroup: no freezer hierarchy is mounted");
}

Result<bool> Cgroup::Frozen() {
  if (const Dir* d = V1DirWith("freezer")) {
    BERTH_ASSIGN_OR_RETURN(std::string state, ReadTrimmed(d->path + "/freezer.state"));
    return state == "FROZEN";
  }
  if (const Dir* v2 = V2Dir()) return V2Frozen(v2->path);
  return Fail(ErrorKind::kFailedPrecondition,
              "read freezer state: no freezer hierarchy is mounted");
}

Result<std::vector<pid_t>> Cgroup::Pids() {
  // The unified directory holds every process on v2 and hybrid; on v1 any hierarchy does.
  const Dir* dir = V2Dir();
  if (dir == nullptr) dir = V1DirWith("freezer");
  if (dir == nullptr && !dirs_.empty()) dir = &dirs_.front();
  std::vector<pid_t> pids;
  if (dir != nullptr) BERTH_TRY(CollectPids(dir->path, pids));
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

Status Cgroup::KillAll(int signal) {
  // Killing goes ahead even when freezing fails: the signal matters more than the race.
  bool frozen = false;
  if (V1DirWith("freezer") != nullptr || V2Dir() != nullptr) {
    Status freeze = Freeze();
    if (!freeze) log::Warn("kill processes without freezing: {}", freeze.error().message());
    frozen = freeze.has_value();
  }
  ScopeExit thaw([&] {
    if (!frozen) return;
    Status thawed = Thaw();
    if (!thawed) log::Warn("thaw after kill: {}", thawed.error().message());
  });
  BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, Pids());
  for (pid_t pid : pids) {
    if (kill(pid, signal) < 0 && errno != ESRCH) {
      return Fail(ErrnoNow(fmt::format("kill process {} with signal {}", pid, signal)));
    }
  }
  return Ok();
}

Status Cgroup::Destroy() {
  Status result = Ok();
  for (const Dir& d : dirs_) {
    Status removed = RemoveTree(d.path);
    if (!removed && result) result = std::move(removed);
  }
  return result;
}

std::optional<std::string> Cgroup::V2Path() const {
  const Dir* d = V2Dir();
  if (d == nullptr) return std::nullopt;
  return d->path;
}

std::vector<std::pair<std::string, std::string>> Cgroup::V1Paths() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Dir& d : dirs_) {
    if (!d.v2) out.emplace_back(Join(d.controllers, ","), d.path);
  }
  return out;
}

}  // namespace berth::runtime::cgroup
