// A container's mount points, planned from what it was created with as dockerd plans them:
// HostConfig.Binds (-v: "src:dst[:mode]", an absolute src a bind, a name a named volume),
// HostConfig.Mounts (--mount: bind, volume, tmpfs with their options), then an anonymous volume
// for each path of Config.Volumes and the image's VOLUMEs that no mount covers. Errors are
// kInvalidArgument in docker's words ("invalid volume specification: 'x'", "invalid mount config
// for type \"bind\": field Source must not be empty", "Duplicate mount point: /data"). The plan is
// kept in the container's record, with each volume's name and source filled in at create. Pure,
// thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/container/config.h"
#include "oci/image_spec.h"
#include "oci/runtime_spec.h"

namespace berth::daemon::container {

struct MountPoint {
  std::string type;         // "bind", "volume", "tmpfs"
  std::string name;         // a volume's; "" for an anonymous volume until it is created
  std::string source;       // a bind's host path; a volume's directory once created
  std::string destination;  // absolute, cleaned
  std::string driver;       // a volume's ("local")
  std::string mode;         // -v's mode as given ("ro", "z", "rshared"); "" for --mount
  bool rw = true;
  std::string propagation;     // a bind's: "rprivate" unless given
  bool non_recursive = false;  // a bind's (BindOptions.NonRecursive)
  bool copy_data = false;      // a volume's: filled from the image's content at first use
  bool anonymous = false;      // a volume made for this container (rm -v removes it)
  bool from_binds = false;     // a bind of -v: a missing source is created, as docker does
  std::string tmpfs_options;   // a tmpfs's: "size=N,mode=O"
  std::map<std::string, std::string> volume_options;  // --mount volume-opt, for a new volume
  std::map<std::string, std::string> volume_labels;   // --mount volume-label
  bool operator==(const MountPoint&) const = default;
};

// PlanMounts plans the mount points of a container created with config and host on image.
// inherited are the points of --volumes-from (InheritMounts): kept where no bind or --mount of
// its own has the destination, and covering the anonymous volumes' paths as those do.
Result<std::vector<MountPoint>> PlanMounts(const Config& config, const HostConfig& host,
                                           const oci::ContainerConfig& image,
                                           const std::vector<MountPoint>& inherited = {});

// One HostConfig.VolumesFrom entry: "container[:mode]", mode a comma-separated list of ro or rw
// and z or Z; kInvalidArgument "invalid mode: x" (docker's) otherwise.
struct VolumesFrom {
  std::string container;
  bool read_only = false;  // "ro": every point read-only; otherwise each keeps its own
};
Result<VolumesFrom> ParseVolumesFrom(std::string_view spec);

// InheritMounts are another container's volumes and binds (its tmpfs mounts are its own) as
// --volumes-from gives them: at the same destinations, read-only when asked, never copied into
// nor removed with the new container.
std::vector<MountPoint> InheritMounts(const std::vector<MountPoint>& points, bool read_only);

// ParseVolumeSpec reads one HostConfig.Binds entry as docker's Linux parser does: "/dst" (an
// anonymous volume), "src:dst" or "src:dst:mode" with mode a comma-separated list of at most one
// of ro/rw, z/Z, a propagation (binds only) and nocopy (volumes).
Result<MountPoint> ParseVolumeSpec(std::string_view spec);

// OciMounts are the runtime mounts of the planned points, parents before children (a volume's
// source is bound like a bind's, without propagation of its own); tmpfs mounts get docker's
// noexec, nosuid, nodev under their options.
std::vector<oci::Mount> OciMounts(const std::vector<MountPoint>& points);

// TmpfsMount is a tmpfs at destination with docker's defaults under options ("size=1m,mode=700").
oci::Mount TmpfsMount(const std::string& destination, const std::string& options);

// MountPointJson is one entry of inspect's Mounts (Type, Name, Source, Destination, Driver,
// Mode, RW, Propagation as docker shows them).
nlohmann::ordered_json MountPointJson(const MountPoint& point);

}  // namespace berth::daemon::container
