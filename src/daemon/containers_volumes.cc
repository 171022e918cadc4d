// A container's volumes and binds: made and referenced at create, activated (mounted, filled from
// the image) at start, deactivated at the exit, released (anonymous ones removed on request) at
// the removal.
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "base/file.h"
#include "base/log.h"
#include "daemon/containers_internal.h"
#include "image/snapshot/tree.h"
#include "sys/fs.h"

namespace berth::daemon {

using container::MountPoint;

Status Containers::Impl::CheckBindSources(const std::vector<MountPoint>& points) {
  for (const MountPoint& p : points) {
    if (p.type != "bind" || p.from_binds) continue;
    struct stat st {};
    if (stat(p.source.c_str(), &st) < 0) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("invalid mount config for type \"bind\": bind source path does not "
                              "exist: {}",
                              p.source));
    }
  }
  return Ok();
}

Status Containers::Impl::PrepareMounts(const std::string& id, std::vector<MountPoint>& points) {
  for (size_t i = 0; i < points.size(); ++i) {
    MountPoint& p = points[i];
    Status prepared = [&]() -> Status {
      if (p.type == "bind" && p.from_binds) {
        // As docker: a missing source of -v is created.
        struct stat st {};
        if (stat(p.source.c_str(), &st) < 0) BERTH_TRY(MakeDirs(p.source, 0755));
        return Ok();
      }
      if (p.type != "volume") return Ok();
      p.anonymous = p.name.empty();
      BERTH_ASSIGN_OR_RETURN(volume::Volume v,
                             volumes.Create(p.name, p.driver, p.volume_options, p.volume_labels));
      p.name = v.name;
      p.source = v.mountpoint;
      return volumes.Reference(v.name, id);
    }();
    if (!prepared) {
      ReleaseMounts(id, {points.begin(), points.begin() + static_cast<std::ptrdiff_t>(i + 1)},
                    true);
      return prepared;
    }
  }
  return Ok();
}

void Containers::Impl::ReleaseMounts(const std::string& id, const std::vector<MountPoint>& points,
                                     bool remove_anonymous) {
  for (const MountPoint& p : points) {
    if (p.type != "volume" || p.name.empty()) continue;
    volumes.Dereference(p.name, id);
    if (!remove_anonymous || !p.anonymous) continue;
    if (Status removed = volumes.Remove(p.name, true); !removed) {
      log::Warn("container {}: {}", id, removed.error().message());
    }
  }
}

namespace {

// CopyUp fills the volume directory data, when empty, with what the image has at destination
// (resolved inside rootfs), keeping owners, modes and times, as docker does at a volume's first
// use.
Status CopyUp(const std::string& rootfs, const std::string& destination, const std::string& data) {
  const std::string what = fmt::format("copy {} of the image into its volume", destination);
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> present,
                         Annotate(image::snapshot::ListDir(data), what));
  if (!present.empty()) return Ok();
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, Annotate(sys::Open(rootfs, O_PATH | O_DIRECTORY), what));
  Result<UniqueFd> source = sys::OpenInRoot(root.get(), destination, O_PATH | O_DIRECTORY);
  if (!source) {
    const int err = source.error().sys_errno();
    if (err == ENOENT || err == ENOTDIR) return Ok();  // nothing there in the image
    return Fail(std::move(source).error().Wrap(what));
  }
  // The directory's path on the host, every symlink on the way resolved inside the rootfs.
  BERTH_ASSIGN_OR_RETURN(
      std::string resolved,
      Annotate(sys::ReadlinkAt(AT_FDCWD, "/proc/self/fd/" + std::to_string(source->get())), what));
  return Annotate(image::snapshot::CopyTree(resolved, data), what);
}

}  // namespace

Status Containers::Impl::ActivateMounts(const std::string& id, std::vector<MountPoint>& points,
                                        const std::string& rootfs) {
  for (size_t i = 0; i < points.size(); ++i) {
    MountPoint& p = points[i];
    if (p.type != "volume") continue;
    Status activated = [&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(p.source, volumes.Activate(p.name, id));
      if (p.copy_data && !rootfs.empty()) BERTH_TRY(CopyUp(rootfs, p.destination, p.source));
      return Ok();
    }();
    if (!activated) {
      DeactivateMounts(id, {points.begin(), points.begin() + static_cast<std::ptrdiff_t>(i + 1)});
      return activated;
    }
  }
  return Ok();
}

void Containers::Impl::DeactivateMounts(const std::string& id,
                                        const std::vector<MountPoint>& points) {
  for (const MountPoint& p : points) {
    if (p.type == "volume") volumes.Deactivate(p.name, id);
  }
}

Result<std::vector<container::MountPoint>> Containers::Impl::MountsFrom(
    const container::HostConfig& host) {
  std::vector<container::MountPoint> inherited;
  for (const std::string& spec : host.volumes_from) {
    BERTH_ASSIGN_OR_RETURN(container::VolumesFrom from, container::ParseVolumesFrom(spec));
    // A missing container is a bad request, as dockerd answers it (a 404 would make docker's
    // CLI look for the image).
    Result<std::shared_ptr<Container>> found = Find(from.container);
    if (!found) return Fail(ErrorKind::kInvalidArgument, found.error().message());
    const std::shared_ptr<Container>& other = *found;
    std::lock_guard lock(other->mu);
    for (container::MountPoint& point :
         container::InheritMounts(other->record.mount_points, from.read_only)) {
      inherited.push_back(std::move(point));
    }
  }
  return inherited;
}

}  // namespace berth::daemon
