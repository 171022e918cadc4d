#include "runtime/cgroup/layout.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime::cgroup {
namespace {

constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

// One cgroup or cgroup2 line of /proc/self/mountinfo (proc(5)).
struct CgroupMount {
  std::string root;
  std::string mount_point;
  bool v2 = false;
  std::vector<std::string> options;  // super options: rw, cpu, cpuacct, name=systemd, ...
};

// One line of /proc/self/cgroup: "hierarchy-id:controller-list:path" (cgroups(7)).
struct MembershipLine {
  std::string id;
  std::vector<std::string> controllers;
  std::string path;
};

// Mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string UnescapeOctal(std::string_view s) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

Result<std::vector<CgroupMount>> ParseCgroupMounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  int line_number = 0;
  for (const std::string& line : Split(mountinfo, '\n')) {
    ++line_number;
    if (TrimSpace(line).empty()) continue;
    std::vector<std::string> fields = Split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 10 || dash - fields.begin() < 6 || fields.end() - dash < 4) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("parse mountinfo line {}: malformed \"{}\"", line_number, line));
    }
    const std::string& fstype = dash[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    mounts.push_back(CgroupMount{.root = UnescapeOctal(fields[3]),
                                 .mount_point = UnescapeOctal(fields[4]),
                                 .v2 = fstype == "cgroup2",
                                 .options = Split(dash[3], ',')});
  }
  return mounts;
}

Result<std::vector<MembershipLine>> ParseMembership(std::string_view proc_self_cgroup) {
  std::vector<MembershipLine> lines;
  for (const std::string& line : Split(proc_self_cgroup, '\n')) {
    if (TrimSpace(line).empty()) continue;
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos || line.size() == second + 1 || line[second + 1] != '/') {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("parse /proc/self/cgroup line \"{}\": malformed", line));
    }
    std::string_view list = std::string_view(line).substr(first + 1, second - first - 1);
    MembershipLine entry{.id = line.substr(0, first), .path = line.substr(second + 1)};
    if (!list.empty()) entry.controllers = Split(list, ',');
    lines.push_back(std::move(entry));
  }
  return lines;
}

bool PathUnder(std::string_view path, std::string_view root) {
  if (root == "/" || path == root) return true;
  return path.size() > root.size() && path.substr(0, root.size()) == root &&
         path[root.size()] == '/';
}

// JoinPath appends a cgroup path (with or without a leading '/') to a directory.
std::string JoinPath(std::string_view dir, std::string_view rel) {
  std::string out(dir);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  for (const std::string& part : Split(rel, '/')) {
    if (part.empty()) continue;
    if (out != "/") out += '/';
    out += part;
  }
  return out;
}

// Chooses among several mounts of one hierarchy the first whose root shows this process's
// cgroup, else the first.
const CgroupMount* PickMount(const std::vector<const CgroupMount*>& candidates,
                             std::string_view own_path) {
  for (const CgroupMount* m : candidates) {
    if (PathUnder(own_path, m->root)) return m;
  }
  return candidates.empty() ? nullptr : candidates.front();
}

bool ContainsAll(const std::vector<std::string>& options, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::find(options.begin(), options.end(), w) != options.end();
  });
}

// The v1 hierarchies, one per non-zero /proc/self/cgroup line that is mounted.
std::vector<Hierarchy> V1Hierarchies(const std::vector<CgroupMount>& mounts,
                                     const std::vector<MembershipLine>& membership) {
  std::vector<std::pair<size_t, Hierarchy>> found;  // (first mount index, hierarchy)
  for (const MembershipLine& line : membership) {
    if (line.id == "0" || line.controllers.empty()) continue;
    std::vector<const CgroupMount*> candidates;
    for (const CgroupMount& m : mounts) {
      if (!m.v2 && ContainsAll(m.options, line.controllers)) candidates.push_back(&m);
    }
    const CgroupMount* mount = PickMount(candidates, line.path);
    if (mount == nullptr) continue;
    Hierarchy h{.mount_point = mount->mount_point, .own_path = line.path, .root = mount->root};
    for (const std::string& option : mount->options) {
      if (std::find(line.controllers.begin(), line.controllers.end(), option) !=
          line.controllers.end()) {
        h.controllers.push_back(option);
      }
    }
    found.emplace_back(static_cast<size_t>(mount - mounts.data()), std::move(h));
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Hierarchy> out;
  for (auto& [index, h] : found) out.push_back(std::move(h));
  return out;
}

// The unified mount: the one at /sys/fs/cgroup, else /sys/fs/cgroup/unified, else the first that
// shows this process's cgroup.
const CgroupMount* PickV2Mount(const std::vector<CgroupMount>& mounts, std::string_view own_path) {
  std::vector<const CgroupMount*> candidates;
  for (const CgroupMount& m : mounts) {
    if (m.v2) candidates.push_back(&m);
  }
  for (std::string_view preferred : {kCgroupRoot, std::string_view("/sys/fs/cgroup/unified")}) {
    for (const CgroupMount* m : candidates) {
      if (m->mount_point == preferred) return m;
    }
  }
  return PickMount(candidates, own_path);
}

std::vector<std::string> SplitControllers(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& c : Split(TrimSpace(text), ' ')) {
    if (!TrimSpace(c).empty()) out.emplace_back(TrimSpace(c));
  }
  return out;
}

bool HasRealController(const std::vector<Hierarchy>& v1) {
  return std::any_of(v1.begin(), v1.end(), [](const Hierarchy& h) {
    return std::any_of(h.controllers.begin(), h.controllers.end(),
                       [](const std::string& c) { return c.rfind("name=", 0) != 0; });
  });
}

}  // namespace

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kV1:
      return "v1";
    case Mode::kV2:
      return "v2";
    case Mode::kHybrid:
      return "hybrid";
  }
  return "v2";
}

Result<Mode> ParseMode(std::string_view name) {
  for (Mode mode : {Mode::kV1, Mode::kV2, Mode::kHybrid}) {
    if (ModeName(mode) == name) return mode;
  }
  return Fail(ErrorKind::kInvalidArgument, fmt::format("parse cgroup mode \"{}\": unknown", name));
}

bool Hierarchy::Has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

Result<Layout> ParseLayout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                           std::string_view v2_controllers) {
  BERTH_ASSIGN_OR_RETURN(std::vector<CgroupMount> mounts, ParseCgroupMounts(mountinfo));
  BERTH_ASSIGN_OR_RETURN(std::vector<MembershipLine> membership, ParseMembership(proc_self_cgroup));
  Layout layout;
  std::vector<Hierarchy> v1 = V1Hierarchies(mounts, membership);
  auto unified_line = std::find_if(membership.begin(), membership.end(),
                                   [](const MembershipLine& l) { return l.id == "0"; });
  std::string v2_own = unified_line == membership.end() ? "" : unified_line->path;
  const CgroupMount* v2 = PickV2Mount(mounts, v2_own);
  if (v2 != nullptr && v2_own.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "parse /proc/self/cgroup: no \"0::\" line for the mounted cgroup2 hierarchy");
  }
  if (v2 == nullptr && v1.empty()) {
    return Fail(ErrorKind::kNotFound, "detect cgroup layout: no cgroup hierarchy is mounted");
  }
  if (v2 == nullptr) {
    layout.mode = Mode::kV1;
  } else if (v2->mount_point == kCgroupRoot || !HasRealController(v1)) {
    layout.mode = Mode::kV2;
    v1.clear();
  } else {
    layout.mode = Mode::kHybrid;
  }
  layout.hierarchies = std::move(v1);
  if (v2 != nullptr) {
    layout.hierarchies.push_back(Hierarchy{.mount_point = v2->mount_point,
                                           .v2 = true,
                                           .controllers = SplitControllers(v2_controllers),
                                           .own_path = v2_own,
                                           .root = v2->root});
  }
  return layout;
}

Result<Layout> DetectLayout() {
  BERTH_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  BERTH_ASSIGN_OR_RETURN(std::string membership, ReadFile("/proc/self/cgroup"));
  BERTH_ASSIGN_OR_RETURN(Layout layout, ParseLayout(mountinfo, membership, ""));
  for (Hierarchy& h : layout.hierarchies) {
    if (!h.v2) continue;
    BERTH_ASSIGN_OR_RETURN(std::string controllers,
                           ReadFile(JoinPath(h.mount_point, "cgroup.controllers")));
    h.controllers = SplitControllers(controllers);
  }
  return layout;
}

Result<std::string> OwnDir(const Hierarchy& hierarchy) {
  if (!PathUnder(hierarchy.own_path, hierarchy.root)) {
    return Fail(ErrorKind::kFailedPrecondition,
                fmt::format("locate own cgroup {} under {}: the mount shows only {}",
                            hierarchy.own_path, hierarchy.mount_point, hierarchy.root));
  }
  std::string_view rel = hierarchy.own_path;
  if (hierarchy.root != "/") rel.remove_prefix(hierarchy.root.size());
  return JoinPath(hierarchy.mount_point, rel);
}

Result<std::string> ContainerDir(const Hierarchy& hierarchy, std::string_view cgroups_path) {
  std::vector<std::string> parts;
  for (const std::string& part : Split(cgroups_path, '/')) {
    if (part == "." || part == "..") {
      return Fail(
          ErrorKind::kInvalidArgument,
          fmt::format("check cgroups path \"{}\": \"{}\" is not allowed", cgroups_path, part));
    }
    if (!part.empty()) parts.push_back(part);
  }
  if (parts.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("check cgroups path \"{}\": names no cgroup", cgroups_path));
  }
  std::string rel = JoinPath("/", Join(parts, "/"));
  if (cgroups_path.front() != '/') {
    BERTH_ASSIGN_OR_RETURN(std::string own, OwnDir(hierarchy));
    return JoinPath(own, rel);
  }
  if (hierarchy.root != "/" && PathUnder(rel, hierarchy.root)) {
    return JoinPath(hierarchy.mount_point, std::string_view(rel).substr(hierarchy.root.size()));
  }
  return JoinPath(hierarchy.mount_point, rel);
}

}  // namespace berth::runtime::cgroup
