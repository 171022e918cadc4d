// Containers: the daemon's container service behind the Engine API's /containers endpoints.
// Each container has a writable rootfs snapshot on its image, a record under the data root, and
// while it runs one berth-shim (the container's parent: it holds the stdio and the log and
// records the exit status), so containers outlive the daemon. A monitor thread watches every
// shim through a pidfd; when one ends it records the exit, wakes waiters and applies the restart
// policy (docker's: no, on-failure[:N], always, unless-stopped, with docker's growing delay).
//
// On disk:
//   <data root>/containers/<id>/container.json   the record (container/record.h), atomic
//   <data root>/containers/<id>/<id>-json.log    the log, json-file format, rotated .1, .2 ...
//   <data root>/containers/<id>/{hostname,hosts,resolv.conf}   bind mounted into the container
// Its volumes (volume/volumes.h) are made at create and referenced while it exists; they are
// mounted (and filled from the image at their first use) while it runs.
//   <exec root>/containers/<id>/                 the bundle and the shim's state directory:
//       config.json, rootfs/ (the snapshot, mounted while the container runs), shim.pid,
//       shim.sock, exit.json, shim.log
//   <exec root>/runtime/                         the runtime library's state root
//   <exec root>/netns/<id>                       the container's network namespace while it
//                                                runs (containers_network.cc)
// Open reconciles: a shim still alive is watched again, one gone has its exit recorded (and the
// restart policy applied), a record whose snapshot is missing (a crash inside create or rm) is
// dropped.
//
// Thread-safety: every method may run on several threads at once. Operations on one container
// (start, stop, kill, rm, ...) are serialised; Wait, Logs and Attach block only their caller.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "daemon/config.h"
#include "daemon/container/archive_path.h"
#include "daemon/container/config.h"
#include "daemon/container/log_reader.h"
#include "daemon/container/record.h"
#include "daemon/container/seccomp_profile.h"
#include "daemon/events.h"
#include "daemon/networks.h"
#include "image/layer/changes.h"
#include "image/store/image_store.h"
#include "image/store/image_views.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/stats.h"
#include "volume/volumes.h"

namespace berth::daemon {

struct ContainersOptions {
  std::string data_root;
  std::string exec_root;
  std::string shim_path;  // the berth-shim binary
  std::string init_path;  // docker-init for --init; "" when none is installed
  // The host's cgroup layout and memory, read once: stats use them, and the layout says whether
  // containers get a cgroup namespace of their own by default (docker: on pure v2 only).
  std::optional<runtime::cgroup::Layout> cgroup_layout;  // nullopt when it cannot be read
  int64_t host_memory = 0;                               // bytes; 0 when unknown
  container::SeccompHost seccomp_host;  // the machine's architecture and kernel version
  // The name servers (addresses) containers use, dockerd's --dns: in the resolv.conf of those
  // on the default bridge, and the upstreams of the embedded DNS server; none: the host's.
  std::vector<std::string> dns;
  // The OCI runtime binaries containers may name (HostConfig.Runtime) besides the built-in
  // kBuiltinRuntime, and the runtime of those that name none.
  std::map<std::string, OciRuntime> runtimes;
  std::string default_runtime = kBuiltinRuntime;
  bool debug = false;
};

// What docker's wait endpoint waits for.
enum class WaitCondition { kNotRunning, kNextExit, kRemoved };
Result<WaitCondition> ParseWaitCondition(std::string_view name);  // "" is not-running

struct WaitResult {
  int exit_code = 0;
  std::string error;  // why the container could not run, when it could not
};

struct AttachStreams {
  bool stdin_stream = false;
  bool stdout_stream = false;
  bool stderr_stream = false;
};

struct ExecView {
  std::string id;
  std::string container_id;
  container::ExecConfig options;
  bool running = false;
  std::optional<int> exit_code;  // once it has ended
  pid_t pid = 0;
};

// A snapshot of one container for inspect and list.
struct ContainerView {
  container::Record record;
  std::string data_dir;    // under the data root: the log, hostname, hosts, resolv.conf
  std::string bundle;      // under the exec root: the bundle and the shim's state
  int64_t size_rw = -1;    // bytes in the writable layer, when asked for
  int64_t size_root = -1;  // plus the image's
  // The rootfs snapshot's directories, MergedDir its mount point (data empty when the snapshot
  // is gone).
  image::store::GraphDriver graph_driver;
};

struct ListOptions {
  bool all = false;
  int limit = -1;  // the newest N (docker's -n); -1 all
  bool size = false;
  image::store::Filters filters;  // id, name, label, status, ancestor, exited, before, since, ...
};

// One sample of a container's resource usage (docker stats). A container not running has only
// its id and name: docker's zeroed sample.
struct ContainerStats {
  std::string id;
  std::string name;  // with docker's leading "/"
  bool running = false;
  std::chrono::system_clock::time_point read;
  runtime::cgroup::Stats cgroup;
  bool v2 = false;                    // the block I/O was counted by cgroup v2
  runtime::cgroup::SystemCpu system;  // the host's CPU time, read just after the cgroup
  uint64_t memory_limit = 0;          // the cgroup's, or the host's memory when lower or unset
};

// ExecFailureText is docker's wording of a process that could not be started in a container
// (docker exec, a health probe) from the runtime's error message: "OCI runtime exec failed: exec
// failed: unable to start container process: exec: \"x\": executable file not found in $PATH:
// unknown".
std::string ExecFailureText(std::string_view message);

class Containers {
 public:
  // Open borrows images, volumes (which it tells of the containers' references), events (where
  // the containers' events are published) and networks (which get back the endpoints and ports
  // of the containers still running).
  static Result<std::unique_ptr<Containers>> Open(ContainersOptions options,
                                                  image::store::ImageStore& images,
                                                  volume::Volumes& volumes, Events& events,
                                                  Networks& networks);
  ~Containers();  // stops watching; the containers keep running
  Containers(const Containers&) = delete;
  Containers& operator=(const Containers&) = delete;

  // Create makes a container of request's image (name empty: a generated one). Returns the id.
  // kNotFound "No such image: x"; kConflict when the name is taken; kInvalidArgument for a bad
  // config (nothing is left behind).
  Result<std::string> Create(std::string_view name, const container::CreateRequest& request);

  // Start starts a created or stopped container; kNotModified-like: returns false when it was
  // running already (docker's 304).
  Result<bool> Start(std::string_view ref);
  // Stop sends the stop signal (signal, else the container's, else SIGTERM), waits up to
  // timeout (else the container's StopTimeout, else 10 s; negative: forever), then kills.
  // Returns false when it was not running (304).
  Result<bool> Stop(std::string_view ref, std::optional<int> timeout_s,
                    std::optional<std::string> signal = std::nullopt);
  Status Restart(std::string_view ref, std::optional<int> timeout_s,
                 std::optional<std::string> signal = std::nullopt);
  // Kill signals the container (default SIGKILL); kConflict when it is not running.
  Status Kill(std::string_view ref, std::string_view signal);
  Status Pause(std::string_view ref);
  Status Unpause(std::string_view ref);
  // Wait calls registered once the wait is in place (docker sends the response head then), then
  // blocks until condition holds; kUnavailable once EndWaits has been called.
  Result<WaitResult> Wait(std::string_view ref, WaitCondition condition,
                          const std::function<Status()>& registered);
  // EndWaits ends the waits in progress and those to come (a stopping daemon's wait requests
  // must not hold its shutdown while the containers keep running).
  void EndWaits();
  // Remove deletes a container; a running one needs force (kConflict otherwise) and is killed.
  // remove_volumes also removes the anonymous volumes made for it (docker rm -v).
  Status Remove(std::string_view ref, bool force, bool remove_volumes = false);
  Status Rename(std::string_view ref, std::string_view new_name);

  Result<ContainerView> Inspect(std::string_view ref, bool size = false);
  Result<std::vector<ContainerView>> List(const ListOptions& options);
  // Pids lists the host pids of the container's processes (top); kConflict when not running.
  Result<std::vector<pid_t>> Pids(std::string_view ref);
  // Stats samples the container's cgroup now (containers_stats.cc); kNotFound for no container.
  Result<ContainerStats> Stats(std::string_view ref);

  // Update changes a container's limits and restart policy (docker update; update holds only
  // what changes, container/update.h): a running container's cgroup gets the new limits, the
  // record keeps them for later starts. kConflict with docker's words for conflicting options;
  // "Cannot update container <id>: ..." when the cgroup refuses a limit.
  Status Update(std::string_view ref, const container::HostConfig& update);

  // Logs sends the container's log entries; follow lasts while the container runs.
  Status Logs(std::string_view ref, const container::LogQuery& query,
              const std::function<Status(const container::LogEntry&)>& sink);

  // Attach returns a connection to the container's streams (the shim's attach stream: frames of
  // docker's 8-byte header; raw stdin to write). For a container not running yet it waits until
  // the container starts, so that nothing it writes is missed (docker run attaches, then starts).
  // Also returns whether the container has a tty.
  Result<std::pair<UniqueFd, bool>> Attach(std::string_view ref, const AttachStreams& streams);
  Status Resize(std::string_view ref, int height, int width);

  // CreateExec records a process to run in a running container (kConflict when it is not
  // running); returns the exec id.
  Result<std::string> CreateExec(std::string_view ref, container::ExecConfig options);
  // StartExec runs it: the returned connection carries its output as the shim's frames, the
  // exit frame last (shim/protocol.h), and takes its stdin. The caller reads it to the end and
  // reports the exit with FinishExec. An exec starts once (kConflict after).
  Result<UniqueFd> StartExec(std::string_view exec_id);
  void FinishExec(std::string_view exec_id, std::optional<int> exit_code);
  // DetachExec hands a started exec's connection to the daemon, which drains its output and
  // records its exit (docker exec -d); drain reads the connection and returns the exit code.
  void DetachExec(std::string_view exec_id, UniqueFd connection,
                  std::function<std::optional<int>(int fd)> drain);
  Result<ExecView> InspectExec(std::string_view exec_id);
  Status ResizeExec(std::string_view exec_id, int height, int width);

  // Export writes the container's filesystem as a tar to fd (docker export).
  Status Export(std::string_view ref, int fd);
  // Commit makes an image of the container's writable layer on its image (docker commit),
  // pausing a running container meanwhile when pause is set. Returns the image id.
  struct CommitOptions {
    std::string reference;  // "repo[:tag]"; empty: no name
    std::vector<std::string> changes;
    std::string message;
    std::string author;
    bool pause = true;
  };
  Result<Digest> Commit(std::string_view ref, const CommitOptions& options);
  // The archive endpoints (docker cp; containers_archive.cc) see the container's filesystem as
  // docker's do: its rootfs (mounted for the call when the container is not running) with its
  // bind mounts, every path resolved inside it. A path is absolute in the container (a relative
  // one is taken from "/"); one that does not exist is kNotFound "Could not find the file P in
  // container C".
  // StatPath describes path, its last symlink not followed.
  Result<container::PathStat> StatPath(std::string_view ref, std::string_view path);
  // ArchivePath writes path as a tar to fd (image/layer/diff.h ArchivePath: named after its base
  // name, "." for a path ending in "/."), calling on_stat with its stat before the first byte.
  Status ArchivePath(std::string_view ref, std::string_view path, int fd,
                     const std::function<void(const container::PathStat&)>& on_stat);
  struct ExtractOptions {
    bool no_overwrite_dir_non_dir = false;  // refuse to replace a directory by a file or back
    bool copy_uid_gid = false;              // entries owned by the container's user
  };
  // ExtractToDir extracts the tar read from fd (plain, gzip, zstd, xz or bzip2) into the directory
  // path (symlinks followed): its ".." entries and symlinks on the way may not lead out of it.
  // kInvalidArgument "extraction point is not a directory", "container rootfs is marked
  // read-only", "mounted volume is marked read-only".
  Status ExtractToDir(std::string_view ref, std::string_view path, int fd,
                      const ExtractOptions& options);
  // Changes lists what the container changed in its writable layer (docker diff; overlay only:
  // kNotImplemented for another storage driver).
  Result<std::vector<image::layer::Change>> Changes(std::string_view ref);

  // Prune removes the stopped containers filters select (until, label, label!); returns their
  // ids and the bytes their writable layers held.
  Result<std::pair<std::vector<std::string>, int64_t>> Prune(const image::store::Filters& filters);

  // ConnectNetwork connects a container to a network (docker network connect): at once when it
  // runs, else at its next start. kPermissionDenied when it is connected already or shares
  // another's network namespace; kNotFound for no such network.
  Status ConnectNetwork(std::string_view ref, std::string_view network,
                        const container::EndpointConfig& config);
  // DisconnectNetwork takes it off the network; kNotFound when it is not connected to it.
  Status DisconnectNetwork(std::string_view ref, std::string_view network);

  // Shutdown stops every running container as docker stop does, all at once, each within its
  // stop timeout (dockerd's shutdown without live-restore). They are not marked stopped by hand:
  // their restart policies start them again when a daemon next opens the data root.
  void Shutdown();

  // Users lists the containers made from an image (image_views.h's ImageUsers).
  std::vector<image::store::ContainerUse> Users(const Digest& image_id);

 private:
  struct Container;
  struct Impl;
  explicit Containers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::daemon
