#include "daemon/daemon.h"

#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"
#include "daemon/host_info.h"
#include "image/snapshot/mount.h"
#include "runtime/cgroup/layout.h"

namespace berth::daemon {
namespace {

// EngineId reads root/engine-id, or makes it from a fresh kernel UUID the first time.
Result<std::string> EngineId(const std::string& root) {
  const std::string path = root + "/engine-id";
  Result<std::string> existing = ReadFile(path);
  if (existing) return std::string(TrimSpace(*existing));
  if (existing.error().kind() != ErrorKind::kNotFound) return Fail(existing.error());
  BERTH_ASSIGN_OR_RETURN(std::string uuid, ReadFile("/proc/sys/kernel/random/uuid"));
  std::string id(TrimSpace(uuid));
  BERTH_TRY(WriteFileAtomic(path, id + "\n", 0600));
  return id;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::Open(DaemonOptions options) {
  const std::string what = fmt::format("open daemon on {}", options.data_root);
  BERTH_TRY(Annotate(MakeDirs(options.data_root, 0711), what));
  BERTH_TRY(Annotate(MakeDirs(options.exec_root, 0700), what));
  BERTH_ASSIGN_OR_RETURN(std::string id, Annotate(EngineId(options.data_root), what));
  image::store::StoreOptions store_options{.root = options.data_root,
                                           .snapshotter = options.snapshotter};
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<image::store::ImageStore> images,
                         Annotate(image::store::ImageStore::Open(std::move(store_options)), what));
  auto daemon =
      std::unique_ptr<Daemon>(new Daemon(std::move(options), std::move(id), std::move(images)));
  const DaemonOptions& o = daemon->options_;
  ContainersOptions containers{.data_root = o.data_root,
                               .exec_root = o.exec_root,
                               .shim_path = o.shim_path,
                               .init_path = o.init_path,
                               .seccomp_host = container::CurrentSeccompHost(),
                               .dns = o.dns,
                               .runtimes = o.runtimes,
                               .default_runtime = o.default_runtime,
                               .debug = o.debug};
  if (Result<runtime::cgroup::Layout> layout = runtime::cgroup::DetectLayout()) {
    containers.cgroup_layout = std::move(*layout);
  }
  if (Result<std::string> meminfo = ReadFile("/proc/meminfo")) {
    containers.host_memory = ParseMemTotal(*meminfo);
  }
  // A volume's filesystem goes through the snapshots' mount applier, which sorts mount(8)'s
  // flags from the filesystem's options.
  volume::VolumesOptions volumes{
      .root = o.data_root + "/volumes",
      .mount =
          [](const volume::FilesystemMount& fs, const std::string& target) {
            image::snapshot::Mount mount{.type = fs.type, .source = fs.device};
            for (std::string& option : Split(fs.options, ',')) {
              if (!option.empty()) mount.options.push_back(std::move(option));
            }
            return image::snapshot::MountAll({mount}, target);
          },
      .unmount = [](const std::string& target) { return image::snapshot::UnmountAll(target); }};
  BERTH_ASSIGN_OR_RETURN(daemon->volumes_,
                         Annotate(volume::Volumes::Open(std::move(volumes)), what));
  BERTH_ASSIGN_OR_RETURN(daemon->networks_,
                         Annotate(Networks::Open(o.data_root, daemon->events_), what));
  BERTH_ASSIGN_OR_RETURN(
      daemon->containers_,
      Annotate(Containers::Open(std::move(containers), *daemon->images_, *daemon->volumes_,
                                daemon->events_, *daemon->networks_),
               what));
  return daemon;
}

}  // namespace berth::daemon
