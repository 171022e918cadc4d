#include "daemon/container/mounts.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/path.h"
#include "base/strings.h"

namespace berth::daemon::container {
namespace {

const std::set<std::string> kPropagations = {"shared", "rshared", "slave",
                                             "rslave", "private", "rprivate"};

Error InvalidSpec(std::string_view spec) {
  return Error(ErrorKind::kInvalidArgument,
               fmt::format("invalid volume specification: '{}'", std::string(spec)));
}

Error MountConfigError(const std::string& type, const std::string& message) {
  return Error(ErrorKind::kInvalidArgument,
               fmt::format("invalid mount config for type \"{}\": {}", type, message));
}

// A -v mode: at most one of rw/ro, of z/Z, of the propagations and of nocopy.
struct Mode {
  bool read_only = false;
  std::string propagation;
  bool no_copy = false;
};

Result<Mode> ParseMode(const std::string& mode) {
  Mode parsed;
  int rw = 0, label = 0, propagation = 0, copy = 0;
  for (const std::string& option : Split(mode, ',')) {
    if (option == "ro" || option == "rw") {
      parsed.read_only = option == "ro";
      ++rw;
    } else if (option == "z" || option == "Z") {
      ++label;
    } else if (kPropagations.contains(option)) {
      parsed.propagation = option;
      ++propagation;
    } else if (option == "nocopy") {
      parsed.no_copy = true;
      ++copy;
    } else {
      rw = 2;
    }
  }
  if (rw > 1 || label > 1 || propagation > 1 || copy > 1) {
    return Fail(ErrorKind::kInvalidArgument, "invalid mode: " + mode);
  }
  return parsed;
}

Result<std::string> CheckTarget(const std::string& type, const std::string& target) {
  if (target.empty()) return Fail(MountConfigError(type, "field Target must not be empty"));
  if (target[0] != '/') {
    return Fail(MountConfigError(
        type, fmt::format("invalid mount path: '{}' mount path must be absolute", target)));
  }
  std::string clean = GoClean(target);
  if (clean == "/") {
    return Fail(ErrorKind::kInvalidArgument, "invalid specification: destination can't be '/'");
  }
  return clean;
}

// FromMountSpec checks one HostConfig.Mounts entry as docker's validateMountConfig does.
Result<MountPoint> FromMountSpec(const MountSpec& m) {
  BERTH_ASSIGN_OR_RETURN(std::string target, CheckTarget(m.type, m.target));
  auto extra = [&](const char* field) {
    return Fail(MountConfigError(m.type, fmt::format("field {} must not be specified", field)));
  };
  MountPoint point{.type = m.type, .destination = target, .rw = !m.read_only};
  if (m.type == "bind") {
    if (m.source.empty()) return Fail(MountConfigError(m.type, "field Source must not be empty"));
    if (m.source[0] != '/') {
      return Fail(MountConfigError(
          m.type, fmt::format("invalid mount path: '{}' mount path must be absolute", m.source)));
    }
    if (m.volume_options) return extra("VolumeOptions");
    if (m.tmpfs_options) return extra("TmpfsOptions");
    point.source = GoClean(m.source);
    point.propagation = "rprivate";
    if (m.bind_options) {
      const std::string& p = m.bind_options->propagation;
      if (!p.empty() && !kPropagations.contains(p)) {
        return Fail(MountConfigError(m.type, "invalid propagation mode: " + p));
      }
      if (!p.empty()) point.propagation = p;
      point.non_recursive = m.bind_options->non_recursive;
    }
  } else if (m.type == "volume") {
    if (m.bind_options) return extra("BindOptions");
    if (m.tmpfs_options) return extra("TmpfsOptions");
    point.name = m.source;
    point.driver = "local";
    point.copy_data = true;
    if (m.volume_options) {
      point.copy_data = !m.volume_options->no_copy;
      point.volume_labels = m.volume_options->labels;
      if (const auto& driver = m.volume_options->driver_config) {
        if (!driver->name.empty()) point.driver = driver->name;
        point.volume_options = driver->options;
      }
    }
  } else if (m.type == "tmpfs") {
    if (!m.source.empty()) return extra("Source");
    if (m.bind_options) return extra("BindOptions");
    if (m.volume_options) return extra("VolumeOptions");
    if (m.tmpfs_options) {
      if (m.tmpfs_options->size_bytes < 0) {
        return Fail(MountConfigError(m.type, "invalid tmpfs size"));
      }
      std::vector<std::string> options;
      if (m.tmpfs_options->size_bytes > 0) {
        options.push_back(fmt::format("size={}", m.tmpfs_options->size_bytes));
      }
      if (m.tmpfs_options->mode > 0) {
        options.push_back(fmt::format("mode={:o}", m.tmpfs_options->mode));
      }
      point.tmpfs_options = Join(options, ",");
    }
  } else {
    return Fail(MountConfigError(m.type, "mount type unknown"));
  }
  return point;
}

}  // namespace

Result<MountPoint> ParseVolumeSpec(std::string_view spec) {
  const std::vector<std::string> parts = Split(spec, ':');
  auto invalid = [&](const Error& e) {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid volume specification: '{}': {}",
                                                         std::string(spec), e.message()));
  };
  std::string source, target, mode;
  if (parts.size() == 1) {
    target = parts[0];  // an anonymous volume
  } else if (parts.size() == 2) {
    if (ParseMode(parts[1])) return Fail(InvalidSpec(spec));  // a destination and a mode
    source = parts[0];
    target = parts[1];
  } else if (parts.size() == 3) {
    source = parts[0];
    target = parts[1];
    mode = parts[2];
  } else {
    return Fail(InvalidSpec(spec));
  }
  if (parts.size() > 1 && source.empty()) return Fail(InvalidSpec(spec));
  MountPoint point{.type = source.starts_with('/') ? "bind" : "volume", .mode = mode};
  BERTH_ASSIGN_OR_RETURN(Mode parsed, mode.empty() ? Result<Mode>(Mode{}) : ParseMode(mode));
  Result<std::string> destination = CheckTarget(point.type, target);
  if (!destination) return invalid(destination.error());
  point.destination = *destination;
  point.rw = !parsed.read_only;
  if (point.type == "bind") {
    point.source = GoClean(source);
    point.propagation = parsed.propagation.empty() ? "rprivate" : parsed.propagation;
    point.from_binds = true;
    return point;
  }
  if (!parsed.propagation.empty()) {
    return invalid(MountConfigError(point.type, "field BindOptions must not be specified"));
  }
  point.name = source;
  point.driver = "local";
  point.copy_data = !parsed.no_copy;
  if (point.mode.empty() && !source.empty()) point.mode = "z";  // what docker shows
  return point;
}

Result<VolumesFrom> ParseVolumesFrom(std::string_view spec) {
  VolumesFrom from;
  const size_t colon = spec.find(':');
  from.container = std::string(spec.substr(0, colon));
  if (from.container.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid volumes-from \"{}\": no container", spec));
  }
  if (colon == std::string_view::npos) return from;
  const std::string mode(spec.substr(colon + 1));
  int rw_modes = 0, labels = 0;
  bool unknown = mode.empty();
  for (const std::string& part : Split(mode, ',')) {
    if (part == "ro" || part == "rw") {
      ++rw_modes;
      from.read_only = part == "ro";
    } else if (part == "z" || part == "Z") {
      ++labels;
    } else {
      unknown = true;
    }
  }
  if (unknown || rw_modes > 1 || labels > 1) {
    return Fail(ErrorKind::kInvalidArgument, "invalid mode: " + mode);
  }
  return from;
}

std::vector<MountPoint> InheritMounts(const std::vector<MountPoint>& points, bool read_only) {
  std::vector<MountPoint> inherited;
  for (const MountPoint& p : points) {
    if (p.type == "tmpfs") continue;
    MountPoint copy = p;
    copy.rw = p.rw && !read_only;
    copy.copy_data = false;
    copy.anonymous = false;
    copy.from_binds = false;
    inherited.push_back(std::move(copy));
  }
  return inherited;
}

Result<std::vector<MountPoint>> PlanMounts(const Config& config, const HostConfig& host,
                                           const oci::ContainerConfig& image,
                                           const std::vector<MountPoint>& inherited) {
  std::vector<MountPoint> points;
  std::set<std::string> destinations;
  auto add = [&](MountPoint point) -> Status {
    if (!destinations.insert(point.destination).second) {
      return Fail(ErrorKind::kInvalidArgument, "Duplicate mount point: " + point.destination);
    }
    points.push_back(std::move(point));
    return Ok();
  };
  for (const std::string& spec : host.binds) {
    BERTH_ASSIGN_OR_RETURN(MountPoint point, ParseVolumeSpec(spec));
    BERTH_TRY(add(std::move(point)));
  }
  for (const MountSpec& m : host.mounts) {
    BERTH_ASSIGN_OR_RETURN(MountPoint point, FromMountSpec(m));
    BERTH_TRY(add(std::move(point)));
  }
  // Another container's points where this one mounts nothing of its own (the last
  // --volumes-from wins a destination, as in docker's map of mount points).
  std::map<std::string, const MountPoint*> from_others;
  for (const MountPoint& point : inherited) {
    if (!destinations.contains(point.destination)) from_others[point.destination] = &point;
  }
  for (const auto& [destination, point] : from_others) {
    destinations.insert(destination);
    points.push_back(*point);
  }
  // The anonymous volumes: paths a mount or a tmpfs already covers are skipped.
  std::set<std::string> anonymous(image.volumes.begin(), image.volumes.end());
  anonymous.insert(config.image.volumes.begin(), config.image.volumes.end());
  std::set<std::string> seen;
  for (const std::string& path : anonymous) {
    BERTH_ASSIGN_OR_RETURN(std::string target, CheckTarget("volume", path));
    if (destinations.contains(target) || host.tmpfs.contains(target) ||
        !seen.insert(target).second) {
      continue;
    }
    points.push_back(
        {.type = "volume", .destination = target, .driver = "local", .copy_data = true});
  }
  return points;
}

oci::Mount TmpfsMount(const std::string& destination, const std::string& options) {
  std::vector<std::string> list = {"noexec", "nosuid", "nodev"};
  for (const std::string& option : Split(options, ',')) {
    if (!option.empty()) list.push_back(option);
  }
  return {.destination = destination, .type = "tmpfs", .source = "tmpfs", .options = list};
}

std::vector<oci::Mount> OciMounts(const std::vector<MountPoint>& points) {
  std::vector<const MountPoint*> sorted;
  for (const MountPoint& p : points) sorted.push_back(&p);
  // Parents first: /data before /data/cache.
  auto depth = [](const std::string& path) { return std::count(path.begin(), path.end(), '/'); };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const MountPoint* a, const MountPoint* b) {
    return depth(a->destination) < depth(b->destination);
  });
  std::vector<oci::Mount> mounts;
  for (const MountPoint* p : sorted) {
    oci::Mount mount;
    if (p->type == "tmpfs") {
      mount = TmpfsMount(p->destination, p->tmpfs_options);
    } else {
      mount = {.destination = p->destination,
               .type = "bind",
               .source = p->source,
               .options = {p->non_recursive ? "bind" : "rbind",
                           p->propagation.empty() ? "rprivate" : p->propagation}};
    }
    if (!p->rw) mount.options.push_back("ro");
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

nlohmann::ordered_json MountPointJson(const MountPoint& p) {
  nlohmann::ordered_json out = {{"Type", p.type}};
  if (p.type == "volume") out["Name"] = p.name;
  out["Source"] = p.source;
  out["Destination"] = p.destination;
  if (p.type == "volume") out["Driver"] = p.driver;
  out["Mode"] = p.mode;
  out["RW"] = p.rw;
  out["Propagation"] = p.propagation;
  return out;
}

}  // namespace berth::daemon::container
