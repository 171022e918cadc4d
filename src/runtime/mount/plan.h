// The plan of a container's root filesystem, computed from the OCI config without any I/O: the
// rootfs, its propagation, the mounts to make in order, the device nodes and /dev symlinks to
// create, and the paths to mask or make read-only. rootfs.h applies a plan inside the container's
// mount namespace. Plain copyable data; Plan() is a pure function.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"
#include "runtime/mount/options.h"

namespace berth::runtime::mount {

struct PlanOptions {
  std::string bundle;        // absolute bundle dir; root.path is relative to it unless absolute
  bool new_user_ns = false;  // then device nodes are bind-mounted from the host instead of mknod
  bool new_net_ns = false;   // sysfs can be mounted only with a new netns when in a user ns
                             // (else /sys is rbound)
  bool new_cgroup_ns = false;
  bool new_mount_ns =
      true;  // false: the runtime's or a joined mount namespace (RootfsPlan::chroot)
  bool no_pivot = false;
  // For "cgroup" mounts: the container's cgroup dirs on the host.
  std::optional<std::string> cgroup_v2_dir;
  // (controllers as mounted, e.g. "cpu,cpuacct" or "name=systemd"; host dir)
  std::vector<std::pair<std::string, std::string>> cgroup_v1_dirs;
};

enum class MountKind {
  kFilesystem,  // a new instance of fs_type (fsopen, fsconfig, fsmount)
  kBind,        // a clone of the host path source (open_tree)
  kRemount,     // new attributes (and parameters, if data is set) for what is at destination
};

struct MountOp {
  MountKind kind = MountKind::kFilesystem;
  std::string fs_type;            // kFilesystem
  std::string source;             // kBind: absolute host path; kFilesystem: the source name
  std::string destination;        // absolute and clean, inside the rootfs
  std::vector<std::string> data;  // filesystem parameters, "key=value" or "flag"
  bool recursive = false;         // kBind: the whole tree under source (rbind)
  AttrChange attr;                // the top mount
  AttrChange recursive_attr;      // every mount of the tree (AT_RECURSIVE)
  uint64_t propagation = 0;       // MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE or 0
  bool propagation_recursive = false;
  bool copy_up = false;  // fill the new tmpfs with what the image has at destination

  bool operator==(const MountOp&) const = default;
};

struct DeviceNode {
  std::string path;  // absolute and clean, inside the rootfs
  mode_t type = 0;   // S_IFCHR, S_IFBLK or S_IFIFO
  uint32_t major = 0;
  uint32_t minor = 0;
  mode_t mode = 0666;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  bool bind = false;  // bind-mount the host's node at the same path instead of mknod

  bool operator==(const DeviceNode&) const = default;
};

struct DevSymlink {
  std::string path;      // absolute, inside the rootfs
  std::string target;    // the symlink's content
  bool replace = false;  // remove whatever is at path first

  bool operator==(const DevSymlink&) const = default;
};

struct RootfsPlan {
  std::string rootfs;  // absolute host path
  bool readonly = false;
  // Applied to / first: rootfsPropagation, or MS_SLAVE|MS_REC when unset, so that nothing the
  // container mounts reaches the host.
  unsigned long propagation = 0;
  bool propagation_set = false;  // rootfsPropagation was given: applied to / again after pivot
  bool no_pivot = false;
  // The container shares a mount namespace (the runtime's, or one joined by path): the namespace's
  // / and the rootfs's parent mount are left alone, the propagation goes on the rootfs's own bind,
  // and the init process chroots into it (pivot_root would move the root of every process there).
  bool chroot = false;
  std::vector<MountOp> mounts;
  // Default devices plus linux.devices, and the /dev symlinks; both empty when /dev is a bind
  // mount (the host's /dev is then used as it is).
  std::vector<DeviceNode> devices;
  std::vector<DevSymlink> symlinks;
  std::vector<std::string> masked_paths;    // absolute and clean
  std::vector<std::string> readonly_paths;  // absolute and clean
};

// Plan validates and turns root, mounts, linux.devices, linux.maskedPaths, linux.readonlyPaths
// and linux.rootfsPropagation into a plan. Errors are kInvalidArgument (kNotImplemented for
// idmapped mounts) and name the field: "mounts[3].options: more than one propagation ...".
Result<RootfsPlan> Plan(const oci::Spec& spec, const PlanOptions& options);

// CleanPath makes path absolute ("a/b" is "/a/b") and lexically clean: no ".", "..", "//" or
// trailing "/"; ".." at the top stays at "/".
std::string CleanPath(const std::string& path);

}  // namespace berth::runtime::mount
