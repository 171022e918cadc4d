#include "runtime/mount/options.h"

#include <sys/mount.h>

#include <array>
#include <string_view>

namespace berth::runtime::mount {
namespace {

enum class Action {
  kSetAttr,      // set bit in attr (recursive: recursive_attr)
  kClearAttr,    // clear bit
  kAtime,        // an atime option, see AtimeState
  kPropagation,  // bit is the MS_* propagation type
  kBind,
  kRbind,
  kRemount,
  kCopyUp,
  kSuperblock,  // passed to the filesystem as a parameter
  kIdmap,
};

// How an atime option acts on the MS_* view of mount(2), which the atime mode is computed from.
enum AtimeFlag : uint64_t { kNoatime = 1, kRelatime = 2, kStrictatime = 4 };

struct OptionInfo {
  std::string_view name;
  Action action;
  uint64_t bit;
  bool recursive;
  bool atime_on = false;  // kAtime: sets (true) or clears (false) the AtimeFlag in bit
};

constexpr std::array kOptions = {
    OptionInfo{"ro", Action::kSetAttr, MOUNT_ATTR_RDONLY, false},
    OptionInfo{"rw", Action::kClearAttr, MOUNT_ATTR_RDONLY, false},
    OptionInfo{"nosuid", Action::kSetAttr, MOUNT_ATTR_NOSUID, false},
    OptionInfo{"suid", Action::kClearAttr, MOUNT_ATTR_NOSUID, false},
    OptionInfo{"nodev", Action::kSetAttr, MOUNT_ATTR_NODEV, false},
    OptionInfo{"dev", Action::kClearAttr, MOUNT_ATTR_NODEV, false},
    OptionInfo{"noexec", Action::kSetAttr, MOUNT_ATTR_NOEXEC, false},
    OptionInfo{"exec", Action::kClearAttr, MOUNT_ATTR_NOEXEC, false},
    OptionInfo{"nodiratime", Action::kSetAttr, MOUNT_ATTR_NODIRATIME, false},
    OptionInfo{"diratime", Action::kClearAttr, MOUNT_ATTR_NODIRATIME, false},
    OptionInfo{"nosymfollow", Action::kSetAttr, MOUNT_ATTR_NOSYMFOLLOW, false},
    OptionInfo{"symfollow", Action::kClearAttr, MOUNT_ATTR_NOSYMFOLLOW, false},
    OptionInfo{"noatime", Action::kAtime, kNoatime, false, true},
    OptionInfo{"atime", Action::kAtime, kNoatime, false, false},
    OptionInfo{"relatime", Action::kAtime, kRelatime, false, true},
    OptionInfo{"norelatime", Action::kAtime, kRelatime, false, false},
    OptionInfo{"strictatime", Action::kAtime, kStrictatime, false, true},
    OptionInfo{"nostrictatime", Action::kAtime, kStrictatime, false, false},
    OptionInfo{"rro", Action::kSetAttr, MOUNT_ATTR_RDONLY, true},
    OptionInfo{"rrw", Action::kClearAttr, MOUNT_ATTR_RDONLY, true},
    OptionInfo{"rnosuid", Action::kSetAttr, MOUNT_ATTR_NOSUID, true},
    OptionInfo{"rsuid", Action::kClearAttr, MOUNT_ATTR_NOSUID, true},
    OptionInfo{"rnodev", Action::kSetAttr, MOUNT_ATTR_NODEV, true},
    OptionInfo{"rdev", Action::kClearAttr, MOUNT_ATTR_NODEV, true},
    OptionInfo{"rnoexec", Action::kSetAttr, MOUNT_ATTR_NOEXEC, true},
    OptionInfo{"rexec", Action::kClearAttr, MOUNT_ATTR_NOEXEC, true},
    OptionInfo{"rnodiratime", Action::kSetAttr, MOUNT_ATTR_NODIRATIME, true},
    OptionInfo{"rdiratime", Action::kClearAttr, MOUNT_ATTR_NODIRATIME, true},
    OptionInfo{"rnosymfollow", Action::kSetAttr, MOUNT_ATTR_NOSYMFOLLOW, true},
    OptionInfo{"rsymfollow", Action::kClearAttr, MOUNT_ATTR_NOSYMFOLLOW, true},
    OptionInfo{"rnoatime", Action::kAtime, kNoatime, true, true},
    OptionInfo{"ratime", Action::kAtime, kNoatime, true, false},
    OptionInfo{"rrelatime", Action::kAtime, kRelatime, true, true},
    OptionInfo{"rnorelatime", Action::kAtime, kRelatime, true, false},
    OptionInfo{"rstrictatime", Action::kAtime, kStrictatime, true, true},
    OptionInfo{"rnostrictatime", Action::kAtime, kStrictatime, true, false},
    OptionInfo{"private", Action::kPropagation, MS_PRIVATE, false},
    OptionInfo{"rprivate", Action::kPropagation, MS_PRIVATE, true},
    OptionInfo{"shared", Action::kPropagation, MS_SHARED, false},
    OptionInfo{"rshared", Action::kPropagation, MS_SHARED, true},
    OptionInfo{"slave", Action::kPropagation, MS_SLAVE, false},
    OptionInfo{"rslave", Action::kPropagation, MS_SLAVE, true},
    OptionInfo{"unbindable", Action::kPropagation, MS_UNBINDABLE, false},
    OptionInfo{"runbindable", Action::kPropagation, MS_UNBINDABLE, true},
    OptionInfo{"bind", Action::kBind, 0, false},
    OptionInfo{"rbind", Action::kRbind, 0, true},
    OptionInfo{"remount", Action::kRemount, 0, false},
    OptionInfo{"tmpcopyup", Action::kCopyUp, 0, false},
    OptionInfo{"sync", Action::kSuperblock, 0, false},
    OptionInfo{"async", Action::kSuperblock, 0, false},
    OptionInfo{"dirsync", Action::kSuperblock, 0, false},
    OptionInfo{"mand", Action::kSuperblock, 0, false},
    OptionInfo{"nomand", Action::kSuperblock, 0, false},
    OptionInfo{"lazytime", Action::kSuperblock, 0, false},
    OptionInfo{"nolazytime", Action::kSuperblock, 0, false},
    OptionInfo{"idmap", Action::kIdmap, 0, false},
    OptionInfo{"ridmap", Action::kIdmap, 0, true},
};

const OptionInfo* Find(std::string_view name) {
  for (const OptionInfo& info : kOptions) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> KnownMountOptions() {
  std::vector<std::string> names;
  for (const OptionInfo& info : kOptions) {
    if (info.action != Action::kIdmap) names.emplace_back(info.name);
  }
  return names;
}

namespace {

// The atime options as mount(2) sees them: flags turned on and off in order, then resolved the
// way the kernel does (strictatime beats noatime, and relatime is the default).
struct AtimeState {
  bool seen = false;
  uint64_t flags = 0;

  void Apply(const OptionInfo& info) {
    seen = true;
    flags = info.atime_on ? (flags | info.bit) : (flags & ~info.bit);
  }
  void Into(AttrChange& change) const {
    if (!seen) return;
    uint64_t mode = MOUNT_ATTR_RELATIME;
    if (flags & kStrictatime) {
      mode = MOUNT_ATTR_STRICTATIME;
    } else if (flags & kNoatime) {
      mode = MOUNT_ATTR_NOATIME;
    }
    change.set = (change.set & ~MOUNT_ATTR__ATIME) | mode;
    change.clear |= MOUNT_ATTR__ATIME;
  }
};

void SetBit(AttrChange& change, uint64_t bit, bool on) {
  if (on) {
    change.set |= bit;
    change.clear &= ~bit;
  } else {
    change.clear |= bit;
    change.set &= ~bit;
  }
}

}  // namespace

Result<MountOptions> ParseMountOptions(const std::vector<std::string>& options) {
  MountOptions out;
  AtimeState atime;
  AtimeState recursive_atime;
  std::string propagation_option;
  for (const std::string& option : options) {
    const OptionInfo* info = Find(option);
    if (info == nullptr) {
      if (option.empty()) return Fail(ErrorKind::kInvalidArgument, "empty option");
      out.data.push_back(option);
      continue;
    }
    AttrChange& attr = info->recursive ? out.recursive_attr : out.attr;
    switch (info->action) {
      case Action::kSetAttr:
      case Action::kClearAttr:
        SetBit(attr, info->bit, info->action == Action::kSetAttr);
        break;
      case Action::kAtime:
        (info->recursive ? recursive_atime : atime).Apply(*info);
        break;
      case Action::kPropagation:
        if (!propagation_option.empty() && propagation_option != option) {
          return Fail(ErrorKind::kInvalidArgument,
                      "more than one propagation (" + propagation_option + ", " + option + ")");
        }
        propagation_option = option;
        out.propagation = info->bit;
        out.propagation_recursive = info->recursive;
        break;
      case Action::kBind:
      case Action::kRbind:
        out.bind = true;
        out.recursive = out.recursive || info->recursive;
        break;
      case Action::kRemount:
        out.remount = true;
        break;
      case Action::kCopyUp:
        out.copy_up = true;
        break;
      case Action::kSuperblock:
        out.data.push_back(option);
        break;
      case Action::kIdmap:
        return Fail(ErrorKind::kNotImplemented, option + ": idmapped mounts are not implemented");
    }
  }
  atime.Into(out.attr);
  recursive_atime.Into(out.recursive_attr);
  return out;
}

}  // namespace berth::runtime::mount
