#include "image/snapshot/mount_options.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "sys/mount.h"

namespace berth::image::snapshot {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // the option clears flag instead of setting it
  unsigned long flag;
};

// The options mount(8) turns into mount(2) flags.
constexpr std::array<FlagOption, 22> kFlagOptions = {{
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"mand", false, MS_MANDLOCK},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
}};

// SplitLowerdirs splits a "lowerdir=" value at unescaped ':' and unescapes each part.
std::vector<std::string> SplitLowerdirs(std::string_view value) {
  std::vector<std::string> dirs(1);
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      dirs.back() += value[++i];
    } else if (c == ':') {
      dirs.emplace_back();
    } else {
      dirs.back() += c;
    }
  }
  return dirs;
}

// EscapeLowerdir escapes what overlay's parser would take for a separator.
std::string EscapeLowerdir(std::string_view dir) {
  std::string out;
  for (char c : dir) {
    if (c == ':' || c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string Render(const ParsedMount& parsed, const std::vector<std::string>& lowerdirs) {
  std::vector<std::string> escaped;
  for (const std::string& dir : lowerdirs) escaped.push_back(EscapeLowerdir(dir));
  std::string data = "lowerdir=" + fmt::format("{}", fmt::join(escaped, ":"));
  for (const std::string& param : parsed.params) data += "," + param;
  return data;
}

// CommonDir is the longest directory that contains every one of dirs ("" when they share none
// but "/").
std::string CommonDir(const std::vector<std::string>& dirs) {
  std::string common = dirs.front();
  for (const std::string& dir : dirs) {
    size_t n = 0;
    while (n < common.size() && n < dir.size() && common[n] == dir[n]) ++n;
    common.resize(n);
  }
  // Keep whole components: cut back to a '/' that ends a component in every path.
  for (;;) {
    size_t slash = common.rfind('/');
    if (slash == std::string::npos || slash == 0) return "";
    common.resize(slash);
    bool whole = true;
    for (const std::string& dir : dirs) whole = whole && dir.size() > slash && dir[slash] == '/';
    if (whole) return common;
  }
}

}  // namespace

Result<ParsedMount> ParseMount(const Mount& mount) {
  ParsedMount parsed;
  if (mount.type == "bind") parsed.flags |= MS_BIND;
  bool overlay = mount.type == "overlay";
  for (const std::string& option : mount.options) {
    const FlagOption* known = nullptr;
    for (const FlagOption& f : kFlagOptions) {
      if (f.name == option) known = &f;
    }
    if (known != nullptr) {
      parsed.flags = known->clear ? parsed.flags & ~known->flag : parsed.flags | known->flag;
    } else if (overlay && option.starts_with("lowerdir=")) {
      parsed.lowerdirs = SplitLowerdirs(std::string_view(option).substr(9));
    } else {
      parsed.params.push_back(option);
    }
  }
  if (!overlay) return parsed;
  if (parsed.lowerdirs.empty() || parsed.lowerdirs.front().empty()) {
    return Fail(ErrorKind::kInvalidArgument, "mount overlay: no lowerdir option");
  }
  if (parsed.lowerdirs.size() > kMaxOverlayLowerdirs) {
    return Fail(ErrorKind::kResourceExhausted,
                fmt::format("mount overlay: {} lower layers, past the kernel's limit of {}",
                            parsed.lowerdirs.size(), kMaxOverlayLowerdirs));
  }
  return parsed;
}

unsigned MountAttrOf(unsigned long flags) {
  unsigned attr = 0;
  if (flags & MS_RDONLY) attr |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) attr |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOATIME) {
    attr |= MOUNT_ATTR_NOATIME;
  } else if (flags & MS_STRICTATIME) {
    attr |= MOUNT_ATTR_STRICTATIME;
  }
  return attr;
}

Result<OverlayData> OverlayMountData(const ParsedMount& parsed, size_t page_size) {
  std::string absolute = Render(parsed, parsed.lowerdirs);
  if (absolute.size() < page_size) return OverlayData{"", std::move(absolute)};
  std::string common = CommonDir(parsed.lowerdirs);
  if (!common.empty()) {
    std::vector<std::string> relative;
    for (const std::string& dir : parsed.lowerdirs)
      relative.push_back(dir.substr(common.size() + 1));
    std::string data = Render(parsed, relative);
    if (data.size() < page_size) return OverlayData{std::move(common), std::move(data)};
  }
  return Fail(ErrorKind::kResourceExhausted,
              fmt::format("mount overlay: options of {} lower layers need {} bytes, past the "
                          "{} that mount(2) takes, even relative to {}",
                          parsed.lowerdirs.size(), absolute.size() + 1, page_size,
                          common.empty() ? "/" : common));
}

}  // namespace berth::image::snapshot
