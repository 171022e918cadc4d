#include "volume/volumes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "base/file.h"
#include "base/log.h"

namespace berth::volume {
namespace {

constexpr const char* kRecord = "volume.json";

std::string NowRfc3339() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
}

Error NoSuchVolume(const std::string& name) {
  return Error(ErrorKind::kNotFound, fmt::format("get {}: no such volume", name));
}

// IsMountPoint says whether dir is on another filesystem than its parent.
bool IsMountPoint(const std::string& dir) {
  struct stat self {};
  struct stat parent {};
  return stat(dir.c_str(), &self) == 0 && stat((dir + "/..").c_str(), &parent) == 0 &&
         self.st_dev != parent.st_dev;
}

}  // namespace

Result<std::unique_ptr<Volumes>> Volumes::Open(VolumesOptions options) {
  BERTH_TRY(MakeDirs(options.root, 0701));
  auto volumes = std::unique_ptr<Volumes>(new Volumes(std::move(options)));
  const std::string& root = volumes->options_.root;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(root.c_str()), closedir);
  if (!dir) return Fail(ErrnoNow("open " + root));
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  for (const std::string& name : names) {
    const std::string path = volumes->Dir(name);
    Result<std::string> text = ReadFile(path + "/" + kRecord);
    Result<Volume> volume =
        text ? DecodeVolume(*text) : Result<Volume>(Fail(std::move(text).error()));
    if (!volume || volume->name != name) {
      log::Warn("volumes: dropping the incomplete volume {}{}", name,
                volume ? "" : ": " + volume.error().message());
      // A filesystem left mounted on it is detached first, so none of its content is deleted.
      if (IsMountPoint(path + "/_data")) (void)volumes->options_.unmount(path + "/_data");
      (void)RemoveAll(path);
      continue;
    }
    Entry entry{.volume = std::move(*volume)};
    entry.volume.mountpoint = path + "/_data";
    entry.mounted = IsMountPoint(entry.volume.mountpoint);
    volumes->volumes_[name] = std::move(entry);
  }
  return volumes;
}

Result<Volume> Volumes::Create(std::string name, const std::string& driver,
                               const std::map<std::string, std::string>& options,
                               std::map<std::string, std::string> labels) {
  if (!driver.empty() && driver != kLocalDriver) {
    return Fail(
        ErrorKind::kNotFound,
        fmt::format("error looking up volume plugin {}: plugin \"{}\" not found", driver, driver));
  }
  const bool anonymous = name.empty();
  if (anonymous) {
    name = NewAnonymousName();
    labels[kAnonymousLabel] = "";
  }
  BERTH_TRY(CheckName(name));
  std::lock_guard lock(mu_);
  if (auto it = volumes_.find(name); it != volumes_.end()) return it->second.volume;
  BERTH_TRY(Annotate(ParseOptions(options), "create " + name));
  Volume volume{.name = name,
                .created_at = NowRfc3339(),
                .labels = std::move(labels),
                .options = options,
                .mountpoint = Dir(name) + "/_data"};
  // _data first, then the record: Open drops a directory without its record.
  Status made = [&]() -> Status {
    BERTH_TRY(MakeDirs(volume.mountpoint, 0755));
    return WriteFileAtomic(Dir(name) + "/" + kRecord, EncodeVolume(volume), 0600);
  }();
  if (!made) {
    (void)RemoveAll(Dir(name));
    return Fail(std::move(made).error().Wrap("create " + name));
  }
  volumes_[name] = Entry{.volume = volume};
  return volume;
}

Result<VolumeView> Volumes::Get(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return Fail(NoSuchVolume(name));
  return VolumeView{.volume = it->second.volume,
                    .users = {it->second.users.begin(), it->second.users.end()}};
}

std::vector<VolumeView> Volumes::List() {
  std::lock_guard lock(mu_);
  std::vector<VolumeView> out;
  for (const auto& [name, entry] : volumes_) {
    out.push_back({.volume = entry.volume, .users = {entry.users.begin(), entry.users.end()}});
  }
  return out;
}

Status Volumes::UnmountLocked(Entry& entry) {
  if (!entry.mounted) return Ok();
  BERTH_TRY(options_.unmount(entry.volume.mountpoint));
  entry.mounted = false;
  return Ok();
}

Status Volumes::Remove(const std::string& name, bool force) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return force ? Ok() : Fail(NoSuchVolume(name));
  Entry& entry = it->second;
  if (!entry.users.empty()) {
    std::string ids;
    for (const std::string& id : entry.users) ids += (ids.empty() ? "" : ", ") + id;
    return Fail(ErrorKind::kConflict, fmt::format("remove {}: volume is in use - [{}]", name, ids));
  }
  const std::string what = "remove " + name;
  BERTH_TRY(Annotate(UnmountLocked(entry), what));
  // The record first: a crash after it leaves a directory that Open deletes.
  if (unlink((Dir(name) + "/" + kRecord).c_str()) < 0 && errno != ENOENT) {
    return Fail(ErrnoNow(what + ": unlink " + kRecord));
  }
  volumes_.erase(it);
  return Annotate(RemoveAll(Dir(name)), what);
}

Status Volumes::Reference(const std::string& name, const std::string& container) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return Fail(NoSuchVolume(name));
  it->second.users.insert(container);
  return Ok();
}

void Volumes::Dereference(const std::string& name, const std::string& container) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return;
  it->second.users.erase(container);
  it->second.running.erase(container);
}

Result<std::string> Volumes::Activate(const std::string& name, const std::string& container) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return Fail(NoSuchVolume(name));
  Entry& entry = it->second;
  BERTH_ASSIGN_OR_RETURN(std::optional<FilesystemMount> fs,
                         Annotate(ParseOptions(entry.volume.options), "mount volume " + name));
  if (fs && !entry.mounted) {
    BERTH_TRY(Annotate(options_.mount(*fs, entry.volume.mountpoint), "mount volume " + name));
    entry.mounted = true;
  }
  entry.running.insert(container);
  return entry.volume.mountpoint;
}

void Volumes::Deactivate(const std::string& name, const std::string& container) {
  std::lock_guard lock(mu_);
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return;
  Entry& entry = it->second;
  entry.running.erase(container);
  if (!entry.running.empty()) return;
  if (Status unmounted = UnmountLocked(entry); !unmounted) {
    log::Warn("volumes: unmount {}: {}", name, unmounted.error().message());
  }
}

}  // namespace berth::volume
