#include "runtime/mount/plan.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <set>
#include <string_view>

#include "base/path.h"

namespace berth::runtime::mount {
namespace {

Error Invalid(const std::string& field, const std::string& why) {
  return Error(ErrorKind::kInvalidArgument, field + ": " + why);
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

struct DefaultDevice {
  const char* path;
  uint32_t major;
  uint32_t minor;
};

// The devices every container gets (runtime-spec "Default Devices").
constexpr std::array<DefaultDevice, 6> kDefaultDevices = {{
    {"/dev/null", 1, 3},
    {"/dev/zero", 1, 5},
    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},
    {"/dev/urandom", 1, 9},
    {"/dev/tty", 5, 0},
}};

Result<unsigned long> ParseRootPropagation(const std::string& value) {
  struct Entry {
    std::string_view name;
    unsigned long flags;
  };
  constexpr std::array<Entry, 8> kTable = {{
      {"private", MS_PRIVATE},
      {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},
      {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE},
      {"runbindable", MS_UNBINDABLE | MS_REC},
  }};
  for (const Entry& entry : kTable) {
    if (entry.name == value) return entry.flags;
  }
  return Fail(Invalid("linux.rootfsPropagation", "unknown propagation " + Quote(value)));
}

Result<std::string> AbsoluteIn(const std::string& base, const std::string& path,
                               const std::string& field) {
  if (path.starts_with('/')) return CleanPath(path);
  if (!base.starts_with('/')) {
    return Fail(Invalid(field, Quote(path) + " is relative and the bundle " + Quote(base) +
                                   " is not an absolute path"));
  }
  return CleanPath(base + "/" + path);
}

MountOp WithOptions(MountKind kind, const MountOptions& opts) {
  MountOp op;
  op.kind = kind;
  op.recursive = opts.recursive;
  op.attr = opts.attr;
  op.recursive_attr = opts.recursive_attr;
  op.propagation = opts.propagation;
  op.propagation_recursive = opts.propagation_recursive;
  return op;
}

Status PlanBind(const oci::Mount& m, const std::string& field, const std::string& destination,
                const MountOptions& opts, const PlanOptions& options, RootfsPlan& plan) {
  if (m.source.empty()) return Fail(Invalid(field + ".source", "required for a bind mount"));
  if (opts.copy_up) return Fail(Invalid(field + ".options", "tmpcopyup needs a tmpfs mount"));
  // Filesystem parameters (mode=, size=, ...) mean nothing to a bind: mount(2) ignores its data
  // argument with MS_BIND, so configs written for runc carry them; they are dropped here.
  MountOp op = WithOptions(MountKind::kBind, opts);
  BERTH_ASSIGN_OR_RETURN(op.source, AbsoluteIn(options.bundle, m.source, field + ".source"));
  op.destination = destination;
  plan.mounts.push_back(std::move(op));
  return Ok();
}

// A "cgroup" mount shows the container its own cgroups. With cgroup v2 only: a cgroup2 mount when
// the container has a cgroup namespace (which roots it at its cgroup), else a bind of its dir.
// With v1 controllers (v1 or hybrid): a tmpfs with one bind per hierarchy, and for hybrid the v2
// dir at "unified"; the tmpfs is made read-only only after the binds are in place.
Status PlanCgroup(const std::string& field, const std::string& destination,
                  const MountOptions& opts, const PlanOptions& options, RootfsPlan& plan) {
  if (options.cgroup_v1_dirs.empty()) {
    if (!options.cgroup_v2_dir) {
      return Fail(Invalid(field, "a cgroup mount needs the container's cgroup, none is known"));
    }
    MountOp op =
        WithOptions(options.new_cgroup_ns ? MountKind::kFilesystem : MountKind::kBind, opts);
    op.destination = destination;
    if (options.new_cgroup_ns) {
      op.fs_type = "cgroup2";
      op.source = "cgroup2";
      op.data = opts.data;
    } else {
      op.source = *options.cgroup_v2_dir;
      op.recursive = true;
    }
    plan.mounts.push_back(std::move(op));
    return Ok();
  }
  MountOp tmpfs = WithOptions(MountKind::kFilesystem, opts);
  tmpfs.fs_type = "tmpfs";
  tmpfs.source = "tmpfs";
  tmpfs.destination = destination;
  tmpfs.data = {"mode=755"};
  tmpfs.attr.set &= ~uint64_t{MOUNT_ATTR_RDONLY};
  plan.mounts.push_back(std::move(tmpfs));
  std::vector<std::pair<std::string, std::string>> binds;
  for (const auto& [controllers, dir] : options.cgroup_v1_dirs) {
    std::string name = controllers.starts_with("name=") ? controllers.substr(5) : controllers;
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return Fail(Invalid(field, "bad cgroup v1 hierarchy name " + Quote(controllers)));
    }
    binds.emplace_back(name, dir);
  }
  if (options.cgroup_v2_dir) binds.emplace_back("unified", *options.cgroup_v2_dir);
  for (const auto& [name, dir] : binds) {
    MountOp bind = WithOptions(MountKind::kBind, opts);
    bind.source = dir;
    bind.destination = destination + "/" + name;
    bind.recursive = false;
    bind.propagation = 0;
    plan.mounts.push_back(std::move(bind));
  }
  if (opts.attr.set & MOUNT_ATTR_RDONLY) {
    MountOp ro;
    ro.kind = MountKind::kRemount;
    ro.destination = destination;
    ro.attr.set = MOUNT_ATTR_RDONLY;
    plan.mounts.push_back(std::move(ro));
  }
  return Ok();
}

Status PlanMount(const oci::Mount& m, size_t index, const PlanOptions& options, RootfsPlan& plan) {
  std::string field = "mounts[" + std::to_string(index) + "]";
  if (m.destination.empty()) return Fail(Invalid(field + ".destination", "required"));
  std::string destination = CleanPath(m.destination);
  if (destination == "/") return Fail(Invalid(field + ".destination", "cannot mount over /"));
  if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) {
    return Fail(ErrorKind::kNotImplemented,
                field + ".uidMappings: idmapped mounts are not implemented");
  }
  BERTH_ASSIGN_OR_RETURN(MountOptions opts,
                         Annotate(ParseMountOptions(m.options), field + ".options"));
  if (opts.bind || m.type == "bind") {
    return PlanBind(m, field, destination, opts, options, plan);
  }
  if (m.type.empty()) return Fail(Invalid(field + ".type", "required unless bind"));
  if (opts.copy_up && m.type != "tmpfs") {
    return Fail(Invalid(field + ".options", "tmpcopyup needs a tmpfs mount"));
  }
  if (m.type == "cgroup") return PlanCgroup(field, destination, opts, options, plan);
  if (m.type == "sysfs" && options.new_user_ns && !options.new_net_ns) {
    // A user namespace may mount sysfs only for a network namespace it owns.
    MountOp op = WithOptions(MountKind::kBind, opts);
    op.source = "/sys";
    op.destination = destination;
    op.recursive = true;
    plan.mounts.push_back(std::move(op));
    return Ok();
  }
  MountOp op = WithOptions(opts.remount ? MountKind::kRemount : MountKind::kFilesystem, opts);
  op.fs_type = m.type;
  op.source = m.source.empty() ? m.type : m.source;
  op.destination = destination;
  op.data = opts.data;
  op.copy_up = opts.copy_up;
  plan.mounts.push_back(std::move(op));
  return Ok();
}

Result<DeviceNode> PlanDevice(const oci::Device& d, const std::string& field,
                              const PlanOptions& options) {
  DeviceNode node;
  if (d.path.empty()) return Fail(Invalid(field + ".path", "required"));
  if (!d.path.starts_with('/')) {
    return Fail(Invalid(field + ".path", Quote(d.path) + " is not an absolute path"));
  }
  node.path = CleanPath(d.path);
  if (node.path == "/" || node.path == "/dev") {
    return Fail(Invalid(field + ".path", Quote(d.path) + " cannot be a device node"));
  }
  if (d.type == "c" || d.type == "u") {
    node.type = S_IFCHR;
  } else if (d.type == "b") {
    node.type = S_IFBLK;
  } else if (d.type == "p") {
    node.type = S_IFIFO;
  } else {
    return Fail(Invalid(field + ".type", "unknown device type " + Quote(d.type)));
  }
  if (node.type != S_IFIFO) {
    // dev_t holds a 12-bit major and a 20-bit minor number.
    if (d.major < 0 || d.major > 0xfff) {
      return Fail(Invalid(field + ".major", std::to_string(d.major) + " is out of range"));
    }
    if (d.minor < 0 || d.minor > 0xfffff) {
      return Fail(Invalid(field + ".minor", std::to_string(d.minor) + " is out of range"));
    }
    node.major = static_cast<uint32_t>(d.major);
    node.minor = static_cast<uint32_t>(d.minor);
  }
  if (d.file_mode) node.mode = *d.file_mode & 07777;
  node.uid = d.uid.value_or(0);
  node.gid = d.gid.value_or(0);
  node.bind = options.new_user_ns && node.type != S_IFIFO;
  return node;
}

Status PlanDev(const oci::Spec& spec, const PlanOptions& options, RootfsPlan& plan) {
  std::vector<DeviceNode> requested;
  std::set<std::string> paths;
  if (spec.linux) {
    for (size_t i = 0; i < spec.linux->devices.size(); ++i) {
      std::string field = "linux.devices[" + std::to_string(i) + "]";
      BERTH_ASSIGN_OR_RETURN(DeviceNode node, PlanDevice(spec.linux->devices[i], field, options));
      if (!paths.insert(node.path).second) {
        return Fail(Invalid(field + ".path", "duplicate device " + Quote(node.path)));
      }
      requested.push_back(std::move(node));
    }
  }
  for (const MountOp& op : plan.mounts) {
    if (op.kind == MountKind::kBind && op.destination == "/dev") return Ok();
  }
  for (const DefaultDevice& d : kDefaultDevices) {
    if (paths.count(d.path)) continue;
    DeviceNode node;
    node.path = d.path;
    node.type = S_IFCHR;
    node.major = d.major;
    node.minor = d.minor;
    node.bind = options.new_user_ns;
    plan.devices.push_back(std::move(node));
  }
  for (DeviceNode& node : requested) plan.devices.push_back(std::move(node));
  plan.symlinks = {
      {"/dev/fd", "/proc/self/fd"},
      {"/dev/stdin", "/proc/self/fd/0"},
      {"/dev/stdout", "/proc/self/fd/1"},
      {"/dev/stderr", "/proc/self/fd/2"},
      // The devpts mounted at /dev/pts is a new instance; its own ptmx must be the one used.
      {"/dev/ptmx", "pts/ptmx", /*replace=*/true},
  };
  return Ok();
}

Result<std::vector<std::string>> PlanPaths(const std::vector<std::string>& paths,
                                           const std::string& field) {
  std::vector<std::string> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i].starts_with('/')) {
      return Fail(Invalid(field + "[" + std::to_string(i) + "]",
                          Quote(paths[i]) + " is not an absolute path"));
    }
    out.push_back(CleanPath(paths[i]));
  }
  return out;
}

}  // namespace

std::string CleanPath(const std::string& path) { return GoClean("/" + path); }

Result<RootfsPlan> Plan(const oci::Spec& spec, const PlanOptions& options) {
  RootfsPlan plan;
  if (!spec.root) return Fail(Invalid("root", "required"));
  if (spec.root->path.empty()) return Fail(Invalid("root.path", "required"));
  BERTH_ASSIGN_OR_RETURN(plan.rootfs, AbsoluteIn(options.bundle, spec.root->path, "root.path"));
  plan.readonly = spec.root->readonly;
  plan.no_pivot = options.no_pivot;
  plan.chroot = !options.new_mount_ns;
  plan.propagation = MS_SLAVE | MS_REC;
  if (spec.linux && !spec.linux->rootfs_propagation.empty()) {
    BERTH_ASSIGN_OR_RETURN(plan.propagation, ParseRootPropagation(spec.linux->rootfs_propagation));
    plan.propagation_set = true;
  }
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    BERTH_TRY(PlanMount(spec.mounts[i], i, options, plan));
  }
  BERTH_TRY(PlanDev(spec, options, plan));
  if (spec.linux) {
    BERTH_ASSIGN_OR_RETURN(plan.masked_paths,
                           PlanPaths(spec.linux->masked_paths, "linux.maskedPaths"));
    BERTH_ASSIGN_OR_RETURN(plan.readonly_paths,
                           PlanPaths(spec.linux->readonly_paths, "linux.readonlyPaths"));
  }
  return plan;
}

}  // namespace berth::runtime::mount
