// The parts of Containers shared by its files (containers.cc: the catalog of containers;
// containers_lifecycle.cc: start, stop, exits and restarts; containers_io.cc: logs, attach;
// containers_exec.cc: processes run in running containers; containers_image.cc: export, commit,
// prune; containers_stats.cc: resource usage; containers_health.cc: health checks;
// containers_update.cc: docker update; containers_archive.cc: docker cp's archives and docker
// diff; containers_volumes.cc: the volumes and binds of containers); not part of its interface.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "daemon/container/health.h"
#include "daemon/container/names.h"
#include "daemon/containers.h"
#include "network/dns/server.h"
#include "shim/protocol.h"

namespace berth::daemon {

// AttachRequestOf is the shim's attach op for the streams asked for.
inline shim::AttachRequest AttachRequestOf(const AttachStreams& s) {
  return {
      .use_stdin = s.stdin_stream, .use_stdout = s.stdout_stream, .use_stderr = s.stderr_stream};
}

// ResizeOf is the shim's resize op for a terminal of height x width (each 0 to 65535).
inline Result<shim::ResizeRequest> ResizeOf(int height, int width,
                                            std::optional<pid_t> exec_pid = std::nullopt) {
  if (height < 0 || height > 65535 || width < 0 || width > 65535) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid terminal size " + std::to_string(height) + "x" + std::to_string(width));
  }
  return shim::ResizeRequest{.exec_pid = exec_pid,
                             .height = static_cast<uint16_t>(height),
                             .width = static_cast<uint16_t>(width)};
}

// An attach that waits for its container to start.
struct PendingAttach {
  AttachStreams streams;
  std::optional<Result<UniqueFd>> connection;  // set by the start (or the removal)
};

struct Containers::Container {
  std::mutex op_mu;            // serialises the lifecycle operations on this container
  std::mutex mu;               // guards what follows
  std::condition_variable cv;  // signalled on every change below
  container::Record record;
  uint64_t exits = 0;  // exits seen since the daemon started
  bool removed = false;
  std::chrono::steady_clock::time_point started;  // when it last started
  std::chrono::milliseconds restart_delay{0};
  std::vector<std::shared_ptr<PendingAttach>> pending_attaches;

  bool Running() const {
    return record.state.status == container::ContainerStatus::kRunning ||
           record.state.status == container::ContainerStatus::kPaused;
  }
};

// Work for the worker thread: a restart after its delay, an auto-removal, or the restart of a
// container that turned unhealthy (label berth.restart-on-unhealthy).
struct Task {
  enum class Kind { kRestart, kRemove, kRestartUnhealthy } kind;
  std::string id;
};

// ExecProcess is the OCI process object of an exec in the container of bundle: the container's
// process with the exec's command, environment, user, working directory and terminal, and every
// capability for a privileged one (containers_exec.cc).
Result<nlohmann::json> ExecProcess(const std::string& bundle, const container::ExecConfig& o);

// The health check of one running container (containers_health.cc): when its next probe is
// due, and the probe in flight.
struct HealthCheck {
  container::HealthTiming timing;
  std::vector<std::string> argv;                  // the probe's command
  std::chrono::steady_clock::time_point started;  // when the container started
  std::chrono::steady_clock::time_point due;      // the next probe
  // The probe in flight (exec_id not empty): the shim's exec connection (its frames), a pidfd
  // of the probe process to kill it at its timeout, and what it has written so far. A result
  // counts only while its exec id is still the one in flight.
  std::string exec_id;
  std::string start_time;
  std::chrono::steady_clock::time_point probe_started;
  std::chrono::steady_clock::time_point deadline;
  UniqueFd connection;
  UniqueFd pidfd;
  shim::FrameReader frames;
  container::ProbeOutput output;
};

struct Exec {
  ExecView view;
  bool started = false;
};

// OnUserDefinedNetwork: r has an endpoint on a network other than the default bridge, so its
// names are served by the embedded DNS server (containers_network.cc).
bool OnUserDefinedNetwork(const container::Record& r);

struct Containers::Impl {
  ContainersOptions options;
  image::store::ImageStore& images;
  volume::Volumes& volumes;
  Events& events;
  Networks& networks;

  // The embedded DNS server of user-defined networks (none when it could not start), and what
  // it serves: the registration of each running container on such a network, by id.
  std::unique_ptr<network::dns::Server> dns;
  std::vector<std::string> dns_search;               // the host's search domains
  std::vector<network::dns::IpAddress> dns_servers;  // options.dns, parsed
  std::mutex dns_mu;
  std::map<std::string, network::dns::Registration> dns_served;

  std::mutex mu;  // guards the maps and the task queue
  std::map<std::string, std::shared_ptr<Container>> by_id;
  std::map<std::string, std::string> names;            // "/name" → id
  std::map<int, std::string> watched;                  // shim pidfd → container id
  std::map<std::string, std::shared_ptr<Exec>> execs;  // by exec id
  std::multimap<std::chrono::steady_clock::time_point, Task> tasks;
  std::condition_variable tasks_cv;
  bool stopping = false;
  // Shutdown is stopping the containers: an exit leaves a container to be restarted by the
  // next daemon (its record says restarting) instead of restarting it now.
  bool shutting_down = false;
  // EndWaits was called: Wait returns kUnavailable (read under a container's mu).
  std::atomic<bool> waits_ended = false;

  // Health checks, by container id; guarded by health_mu, which is taken after a container's
  // mu when both are held. One thread runs every container's probes (HealthLoop).
  std::mutex health_mu;
  std::map<std::string, HealthCheck> health_checks;
  int health_epoll_fd = -1;
  int health_wake_fd = -1;
  std::thread health_thread;

  // Detached execs being drained: their threads and connections (shut down when closing).
  std::vector<std::thread> drains;
  std::vector<int> drain_fds;

  // The shim's binary on a detached read-only mount (shim::SealExecutable), which
  // options.shim_path then names as /proc/self/fd/N; empty where the kernel refuses the mount.
  UniqueFd shim_exe;

  int epoll_fd = -1;
  int wake_fd = -1;  // an eventfd that wakes the monitor
  std::thread monitor;
  std::thread worker;

  Impl(ContainersOptions o, image::store::ImageStore& i, volume::Volumes& v, Events& e, Networks& n)
      : options(std::move(o)), images(i), volumes(v), events(e), networks(n) {}

  // Emit publishes a container event with docker's attributes (name, image, labels) and extra.
  void Emit(const container::Record& r, std::string action,
            std::map<std::string, std::string> extra = {});

  std::string DataDir(const std::string& id) const {
    return options.data_root + "/containers/" + id;
  }
  std::string ExecDir(const std::string& id) const {
    return options.exec_root + "/containers/" + id;
  }
  static std::string NewId() { return container::NewId(); }
  std::string RuntimeRoot() const { return options.exec_root + "/runtime"; }
  // The shims' compiled seccomp programs (runtime/seccomp/cache.h), emptied at every start.
  std::string SeccompCacheDir() const { return options.exec_root + "/seccomp"; }
  // RuntimeOf is the state root and command of the runtime named so (HostConfig.Runtime): the
  // built-in one's root and no command, or a configured binary's root (<exec root>/runtimes/
  // <name>) and its path and arguments. kInvalidArgument "Unknown runtime specified x".
  Result<std::pair<std::string, std::vector<std::string>>> RuntimeOf(const std::string& name) const;

  // Find resolves a full id, a name (with or without "/") or a unique id prefix; kNotFound
  // "No such container: ref".
  Result<std::shared_ptr<Container>> Find(std::string_view ref);
  void Forget(const std::string& id);  // drops the container from the maps

  // ---- containers_lifecycle.cc ----
  // StartLocked starts c (op_mu held). restart counts a restart by policy.
  Result<bool> StartLocked(const std::shared_ptr<Container>& c, bool restart);
  // StopLocked stops c (op_mu held); false when it was not running. by_hand: a user's stop,
  // after which the restart policy does not start it again (not so for the daemon's shutdown).
  Result<bool> StopLocked(const std::shared_ptr<Container>& c, std::optional<int> timeout_s,
                          std::optional<std::string> signal, bool by_hand = true);
  // RemoveLocked removes c; remove_volumes removes its anonymous volumes too.
  Status RemoveLocked(const std::shared_ptr<Container>& c, bool force, bool remove_volumes);
  // Watch adds a shim's pidfd to the monitor.
  Status Watch(const std::string& id, UniqueFd pidfd);
  // OnShimExit records the exit of c's shim and applies the restart policy.
  void OnShimExit(const std::shared_ptr<Container>& c);
  // Recover is Open's reconciliation of a container that was running when the daemon stopped.
  void Recover(const std::shared_ptr<Container>& c);
  void Schedule(std::chrono::milliseconds delay, Task task);
  void MonitorLoop();
  void WorkerLoop();
  Status PauseOrResume(const std::shared_ptr<Container>& c, bool pause);
  Status SignalShim(const std::shared_ptr<Container>& c, int signal, bool all);
  // WaitForExit waits until c->exits passes exits_before, up to timeout (forever when nullopt);
  // returns whether it did. Called with lock held on c->mu.
  bool WaitForExit(const std::shared_ptr<Container>& c, std::unique_lock<std::mutex>& lock,
                   uint64_t exits_before, std::optional<std::chrono::milliseconds> timeout);

  // ---- containers_health.cc ----
  // ArmHealth starts probing c (c->mu held) if it has a health check; fresh: a start (the
  // status becomes starting), not the daemon taking over a running container.
  void ArmHealth(const std::shared_ptr<Container>& c, bool fresh);
  // DisarmHealth stops probing c (c->mu held); its health reads unhealthy, as docker's does.
  void DisarmHealth(Container& c);
  void WakeHealth();
  void HealthLoop();
  void BeginProbe(const std::string& id);
  // ReadProbe reads what the probe on connection fd wrote, finishing it at its exit frame.
  void ReadProbe(int fd);
  void TimeOutProbe(const std::string& id);
  // FinishProbe records the result of the probe exec_id of container id, if it is still the one
  // in flight, and schedules the next probe.
  void FinishProbe(const std::string& id, const std::string& exec_id, int exit_code,
                   std::string output, std::optional<int> exec_exit);
  // RestartUnhealthy restarts c if it is still running and unhealthy (op_mu held).
  void RestartUnhealthy(const std::shared_ptr<Container>& c);

  // ---- containers_volumes.cc ----
  // MountsFrom are the mount points host's VolumesFrom take from other containers;
  // kInvalidArgument for a bad mode and for no such container ("No such container: x").
  Result<std::vector<container::MountPoint>> MountsFrom(const container::HostConfig& host);
  // CheckBindSources refuses a bind of --mount whose source does not exist (docker's words).
  Status CheckBindSources(const std::vector<container::MountPoint>& points);
  // PrepareMounts makes what container id's planned mounts need: a missing source of a -v bind,
  // each volume (named ones created unless they exist, anonymous ones named), referenced by id.
  // On failure what it made is undone.
  Status PrepareMounts(const std::string& id, std::vector<container::MountPoint>& points);
  // ReleaseMounts drops id's references to its volumes, removing those made for it when
  // remove_anonymous.
  void ReleaseMounts(const std::string& id, const std::vector<container::MountPoint>& points,
                     bool remove_anonymous);
  // ActivateMounts marks id's volumes in use (their filesystems mounted) and fills each empty one
  // that asks for it from the image's content under rootfs (none when rootfs is empty);
  // DeactivateMounts ends that use.
  Status ActivateMounts(const std::string& id, std::vector<container::MountPoint>& points,
                        const std::string& rootfs);
  void DeactivateMounts(const std::string& id, const std::vector<container::MountPoint>& points);

  // ---- containers_network.cc ----
  // PlanNetworks resolves the create request's network mode and endpoints into the record's
  // networks (kNotFound for a network or container that does not exist).
  Result<std::map<std::string, container::Endpoint>> PlanNetworks(
      const container::CreateRequest& request);
  // SetUpNetwork gives c its network namespace for a start (op_mu held): a netns file with its
  // endpoints, addresses, published ports and /etc/hosts, or another container's namespace.
  // Returns the path for the OCI config ("" for the host's); c's record gets the endpoints.
  Result<std::string> SetUpNetwork(const std::shared_ptr<Container>& c);
  // TearDownNetwork releases what SetUpNetwork took (c->mu held, or c not shared yet).
  void TearDownNetwork(container::Record& r);
  // RestoreNetwork gives the networks back a running container's endpoints (Open).
  void RestoreNetwork(const container::Record& r);
  // RemoveStaleNetns removes the netns files of containers not running (Open, after Recover).
  void RemoveStaleNetns();
  // ServeDns makes the embedded DNS server answer in r's network namespace when r is on a
  // user-defined network, from the network service (Networks::Resolve); StopDns ends that.
  Status ServeDns(const container::Record& r);
  void StopDns(const std::string& id);
  std::string NetnsDir() const { return options.exec_root + "/netns"; }
  // WriteHosts writes the container's /etc/hosts: localhost, the extra hosts, its addresses.
  Status WriteHosts(const container::Record& r);

  // ---- containers_archive.cc ----
  // InContainerFs runs fn on a thread whose root is c's filesystem with its bind mounts, in a
  // private mount namespace (op_mu held by the caller); fn gets c's record.
  Status InContainerFs(const std::shared_ptr<Container>& c,
                       const std::function<Status(const container::Record&)>& fn);
};

}  // namespace berth::daemon
