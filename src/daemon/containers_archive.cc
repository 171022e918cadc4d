// Containers' files through docker's archive endpoints (docker cp) and their changes (docker
// diff). An archive operation sees the container's filesystem as docker's does: the rootfs (the
// running container's mount, or for a stopped one its snapshot mounted for the call) with the
// container's bind mounts on it, in a private mount namespace on a thread of its own that then
// makes the rootfs its root (chroot), so every path, symlinks included, resolves inside the
// container, and nothing stays mounted afterwards. The container's operation lock is held
// throughout, so a start or removal never interleaves.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fmt/format.h>

#include <set>

#include "base/path.h"
#include "base/temp_dir.h"
#include "daemon/container/spec.h"
#include "daemon/container/user.h"
#include "daemon/containers_internal.h"
#include "image/layer/apply.h"
#include "image/layer/diff.h"
#include "image/snapshot/mount.h"
#include "image/snapshot/mount_options.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace berth::daemon {
namespace {

using container::MountPoint;
using container::PathStat;

// The mount points docker keeps in a layer of their own below a container's writable layer (its
// "init" layer), so that its diff never shows them; berth's runtime makes those a container needs
// in the writable layer, and Changes hides them.
const std::set<std::string> kInitLayerPaths = {
    "/.dockerenv", "/dev/console", "/dev/pts",         "/dev/shm", "/etc/hostname",
    "/etc/hosts",  "/etc/mtab",    "/etc/resolv.conf", "/proc",    "/sys"};

// BindsOf lists the container's mounts with a host source: its binds and volumes (a volume whose
// filesystem is mounted only while it is in use shows its directory when the container is not
// running).
std::vector<MountPoint> BindsOf(const container::Record& record) {
  std::vector<MountPoint> binds;
  for (const MountPoint& point : record.mount_points) {
    if (point.type == "bind" || point.type == "volume") binds.push_back(point);
  }
  return binds;
}

// MountBind attaches a copy of bind's source at its destination resolved inside the root (created
// when missing, as docker does), read-only when the bind is.
Status MountBind(int root_fd, const MountPoint& bind) {
  const std::string what = fmt::format("mount {} on {}", bind.source, bind.destination);
  BERTH_ASSIGN_OR_RETURN(struct stat source, Annotate(sys::Stat(bind.source), what));
  BERTH_ASSIGN_OR_RETURN(
      UniqueFd target,
      Annotate(S_ISDIR(source.st_mode) ? sys::MkdirAllInRoot(root_fd, bind.destination, 0755)
                                       : sys::CreateFileInRoot(root_fd, bind.destination, 0755),
               what));
  const unsigned recursive = bind.non_recursive ? 0 : AT_RECURSIVE;
  BERTH_ASSIGN_OR_RETURN(
      UniqueFd tree,
      Annotate(sys::OpenTree(AT_FDCWD, bind.source, OPEN_TREE_CLONE | recursive), what));
  if (!bind.rw) {
    BERTH_TRY(Annotate(
        sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH | recursive, {.set = MOUNT_ATTR_RDONLY}),
        what));
  }
  return Annotate(sys::MoveMount(tree.get(), "", target.get(), "",
                                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
                  what);
}

// Readlink reads a symlink of the thread's root (the container's): nullopt for anything else.
Result<std::optional<std::string>> Readlink(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return Fail(ErrnoNow("lstat " + path));
  }
  if (!S_ISLNK(st.st_mode)) return std::optional<std::string>();
  BERTH_ASSIGN_OR_RETURN(std::string target, sys::ReadlinkAt(AT_FDCWD, path));
  return std::optional<std::string>(std::move(target));
}

Error FileNotFound(std::string_view path, std::string_view ref) {
  return Error(ErrorKind::kNotFound,
               fmt::format("Could not find the file {} in container {}", path, ref));
}

// StatIn stats path (ContainerPath form) in the thread's root; asked is the path as the client
// gave it, for the message of a missing file.
Result<PathStat> StatIn(const std::string& path, std::string_view asked, std::string_view ref) {
  struct stat st {};
  if (lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Fail(FileNotFound(asked, ref));
    return Fail(ErrnoNow("lstat " + path));
  }
  PathStat stat{.name = GoBase(path),
                .size = st.st_size,
                .mode = container::GoFileMode(st.st_mode),
                .mtime = std::chrono::system_clock::time_point(
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        std::chrono::seconds(st.st_mtim.tv_sec) +
                        std::chrono::nanoseconds(st.st_mtim.tv_nsec)))};
  if (S_ISLNK(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(stat.link_target, container::ResolveInScope(path, Readlink));
  }
  return stat;
}

}  // namespace

Status Containers::Impl::InContainerFs(const std::shared_ptr<Container>& c,
                                       const std::function<Status(const container::Record&)>& fn) {
  container::Record record;
  bool running;
  {
    std::lock_guard lock(c->mu);
    record = c->record;
    running = c->Running();
  }
  const std::vector<MountPoint> binds = BindsOf(record);
  std::vector<image::snapshot::Mount> mounts;
  std::optional<TempDir> temp;
  std::string root = ExecDir(record.id) + "/rootfs";
  if (!running) {
    BERTH_ASSIGN_OR_RETURN(mounts, images.snapshotter().Mounts(record.id));
    BERTH_ASSIGN_OR_RETURN(TempDir made, TempDir::Make("berth-archive"));
    root = made.path();
    temp.emplace(std::move(made));
  }
  return image::snapshot::WithMounts(mounts, root, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, sys::Open(root, O_PATH | O_DIRECTORY));
    for (const MountPoint& bind : binds) BERTH_TRY(MountBind(root_fd.get(), bind));
    BERTH_TRY(sys::Chroot(root));
    BERTH_TRY(sys::Chdir("/"));
    return fn(record);
  });
}

Result<PathStat> Containers::StatPath(std::string_view ref, std::string_view path) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  PathStat stat;
  BERTH_TRY(impl_->InContainerFs(c, [&](const container::Record&) -> Status {
    BERTH_ASSIGN_OR_RETURN(stat, StatIn(container::ContainerPath(path), path, ref));
    return Ok();
  }));
  return stat;
}

Status Containers::ArchivePath(std::string_view ref, std::string_view path, int fd,
                               const std::function<void(const PathStat&)>& on_stat) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  return impl_->InContainerFs(c, [&](const container::Record& record) -> Status {
    const std::string absolute = container::ContainerPath(path);
    BERTH_ASSIGN_OR_RETURN(PathStat stat, StatIn(absolute, path, ref));
    on_stat(stat);
    impl_->Emit(record, "archive-path");
    return Annotate(image::layer::ArchivePath(absolute, GoBase(absolute), fd),
                    fmt::format("archive {} of container {}", absolute, ref))
        .map([](auto&&) {});
  });
}

Status Containers::ExtractToDir(std::string_view ref, std::string_view path, int fd,
                                const ExtractOptions& options) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  return impl_->InContainerFs(c, [&](const container::Record& record) -> Status {
    // Symlinks are followed, the last one too: an archive may go to a link to a directory.
    BERTH_ASSIGN_OR_RETURN(std::string resolved,
                           container::ResolveInScope(GoClean("/" + std::string(path)), Readlink));
    BERTH_ASSIGN_OR_RETURN(PathStat stat, StatIn(resolved, path, ref));
    if ((stat.mode & container::kGoModeDir) == 0) {
      return Fail(ErrorKind::kInvalidArgument, "extraction point is not a directory");
    }
    bool in_volume = false;
    for (const MountPoint& bind : BindsOf(record)) {
      if (!container::InMount(bind.destination, resolved)) continue;
      if (!bind.rw) {
        return Fail(ErrorKind::kInvalidArgument, "mounted volume is marked read-only");
      }
      in_volume = true;
      break;
    }
    if (!in_volume && record.host_config.readonly_rootfs) {
      return Fail(ErrorKind::kInvalidArgument, "container rootfs is marked read-only");
    }
    image::layer::ApplyOptions apply{.whiteouts = image::layer::WhiteoutMode::kNone,
                                     .no_overwrite_dir_non_dir = options.no_overwrite_dir_non_dir};
    if (options.copy_uid_gid) {
      BERTH_ASSIGN_OR_RETURN(oci::User user,
                             container::ResolveUser("/", record.config.image.user, {}));
      apply.owner = image::layer::Owner{.uid = user.uid, .gid = user.gid};
    }
    BERTH_TRY(Annotate(image::layer::Apply(fd, resolved, apply),
                       fmt::format("extract to {} in container {}", resolved, ref)));
    impl_->Emit(record, "extract-to-dir");
    return Ok();
  });
}

Result<std::vector<image::layer::Change>> Containers::Changes(std::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  std::string id;
  {
    std::lock_guard lock(c->mu);
    id = c->record.id;
  }
  const std::string what = "changes of container " + id;
  image::snapshot::Snapshotter& snapshotter = impl_->images.snapshotter();
  if (snapshotter.name() != "overlay") {
    return Fail(
        ErrorKind::kNotImplemented,
        fmt::format("{}: not supported by the {} storage driver", what, snapshotter.name()));
  }
  BERTH_ASSIGN_OR_RETURN(image::snapshot::LayerDir dir, Annotate(snapshotter.Path(id), what));
  BERTH_ASSIGN_OR_RETURN(std::vector<image::snapshot::Mount> mounts,
                         Annotate(snapshotter.Mounts(id), what));
  std::vector<std::string> lowers;
  for (const image::snapshot::Mount& mount : mounts) {
    if (mount.type != "overlay") continue;
    BERTH_ASSIGN_OR_RETURN(image::snapshot::ParsedMount parsed,
                           Annotate(image::snapshot::ParseMount(mount), what));
    lowers = parsed.lowerdirs;
  }
  return Annotate(image::layer::OverlayChanges(dir.path, lowers, kInitLayerPaths), what);
}

}  // namespace berth::daemon
