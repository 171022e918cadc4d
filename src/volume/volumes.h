// Volumes: the named and anonymous volumes of the local driver under one directory (the data
// root's volumes/), which containers reference while they exist and use while they run.
//
// On disk:
//   <root>/<name>/volume.json   the record (volume.h), written atomically after _data exists
//   <root>/<name>/_data         the volume's content; a filesystem is mounted here while the
//                               volume is in use when its options name one (type, device, o)
// A create cut short leaves a directory without volume.json, a remove cut short (volume.json is
// unlinked first) the same: Open deletes such directories. A mount found on _data at Open (the
// containers using it outlived the daemon) is kept.
//
// References are kept in memory: the container service declares its containers at start-up.
// A volume referenced by a container cannot be removed (kConflict "volume is in use - [ids]");
// Activate/Deactivate count the running containers, mounting the filesystem for the first one
// and unmounting it after the last.
//
// Thread-safety: every method may run on several threads at once (one mutex; mounts and
// deletions run under it).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "volume/volume.h"

namespace berth::volume {

struct VolumesOptions {
  std::string root;
  // Mounts fs on target, and unmounts whatever is mounted on target: the daemon passes its
  // mount applier, so that mount(8)'s flags ("ro", "nosuid") and data are sorted in one place.
  std::function<Status(const FilesystemMount& fs, const std::string& target)> mount;
  std::function<Status(const std::string& target)> unmount;
};

// A volume and the containers referencing it.
struct VolumeView {
  Volume volume;
  std::vector<std::string> users;  // container ids, sorted
};

class Volumes {
 public:
  static Result<std::unique_ptr<Volumes>> Open(VolumesOptions options);

  // Create makes the volume name ("" makes an anonymous one, labelled kAnonymousLabel) with
  // driver options and labels; an existing name returns the existing volume unchanged, as
  // docker does. kInvalidArgument for a bad name, driver or option (nothing is created).
  Result<Volume> Create(std::string name, const std::string& driver,
                        const std::map<std::string, std::string>& options,
                        std::map<std::string, std::string> labels);
  // Get: kNotFound "get NAME: no such volume".
  Result<VolumeView> Get(const std::string& name);
  std::vector<VolumeView> List();
  // Remove deletes a volume no container references (kConflict "remove NAME: volume is in use -
  // [ids]"); a missing one is kNotFound unless force.
  Status Remove(const std::string& name, bool force);

  // Reference records that container uses the volume (kNotFound when there is none);
  // Dereference drops that (and stops any use by it).
  Status Reference(const std::string& name, const std::string& container);
  void Dereference(const std::string& name, const std::string& container);
  // Activate is a start of container with the volume mounted: the volume's filesystem is
  // mounted when this is its first running user. Returns the directory to bind into the
  // container. Deactivate is that container's end; after the last one the filesystem is
  // unmounted.
  Result<std::string> Activate(const std::string& name, const std::string& container);
  void Deactivate(const std::string& name, const std::string& container);

  const std::string& root() const { return options_.root; }

 private:
  struct Entry {
    Volume volume;
    std::set<std::string> users;    // containers referencing it
    std::set<std::string> running;  // containers using it now
    bool mounted = false;           // its filesystem is mounted on _data
  };
  explicit Volumes(VolumesOptions options) : options_(std::move(options)) {}
  std::string Dir(const std::string& name) const { return options_.root + "/" + name; }
  Status UnmountLocked(Entry& entry);

  VolumesOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry> volumes_;
};

}  // namespace berth::volume
