// Daemon: the services behind berthd's API, wired over one data root (persistent state) and one
// exec root (sockets and runtime state that a reboot clears). It owns the image store; the API
// layer borrows it. No HTTP here. Thread-safety: every method may run on several threads at once.
//
// On disk, under the data root:
//   engine-id     the daemon's id (a UUID), made once
//   containers/   the containers (daemon/containers.h)
//   networks/     the networks (daemon/networks.h)
//   volumes/      the volumes (volume/volumes.h)
//   (the image store's files: image/store/image_store.h)
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "daemon/config.h"
#include "daemon/containers.h"
#include "daemon/events.h"
#include "daemon/networks.h"
#include "image/store/image_store.h"
#include "registry/client/hosts.h"
#include "volume/volumes.h"

namespace berth::daemon {

struct DaemonOptions {
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  image::store::SnapshotterKind snapshotter = image::store::SnapshotterKind::kAuto;
  std::string shim_path = "berth-shim";  // searched in PATH unless absolute
  std::string init_path;                 // docker-init for --init; "" when none is installed
  bool debug = false;
  registry::client::RegistryConfig registry;  // mirrors, insecure registries, certificates
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  int64_t upload_chunk_size = 64 << 20;        // blobs larger than this are pushed in chunks
  std::vector<std::string> dns;                // the name servers containers use; none: the host's
  std::map<std::string, OciRuntime> runtimes;  // besides the built-in kBuiltinRuntime
  std::string default_runtime = kBuiltinRuntime;
  bool live_restore = true;  // reported by docker info; berthd's main stops containers if not
};

class Daemon {
 public:
  // Open creates the roots when missing, reads or makes the engine id, opens the image store
  // (which repairs what a crash left), the volumes and the containers (which watch the running
  // ones again).
  // A data root another daemon holds is kUnavailable.
  static Result<std::unique_ptr<Daemon>> Open(DaemonOptions options);

  const DaemonOptions& options() const { return options_; }
  const std::string& id() const { return id_; }
  std::chrono::system_clock::time_point started() const { return started_; }
  image::store::ImageStore& images() { return *images_; }
  Containers& containers() { return *containers_; }
  volume::Volumes& volumes() { return *volumes_; }
  Networks& networks() { return *networks_; }
  Events& events() { return events_; }

 private:
  Daemon(DaemonOptions options, std::string id, std::unique_ptr<image::store::ImageStore> images)
      : options_(std::move(options)), id_(std::move(id)), images_(std::move(images)) {}

  DaemonOptions options_;
  std::string id_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::unique_ptr<image::store::ImageStore> images_;
  Events events_;
  std::unique_ptr<volume::Volumes> volumes_;
  std::unique_ptr<Networks> networks_;
  // Borrows images_, volumes_, events_ and networks_: declared after them.
  std::unique_ptr<Containers> containers_;
};

}  // namespace berth::daemon
