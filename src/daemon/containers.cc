#include "daemon/containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/digest.h"
#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "daemon/container/names.h"
#include "daemon/container/spec.h"
#include "daemon/containers_internal.h"
#include "image/reference/reference.h"
#include "network/dns/resolv_conf.h"
#include "oci/image_spec_json.h"
#include "shim/shim.h"

namespace berth::daemon {

using container::ContainerStatus;
using container::Record;

namespace {

Status CheckExtraHosts(const container::HostConfig& host) {
  for (const std::string& entry : host.extra_hosts) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "HostConfig.ExtraHosts: invalid host entry \"" + entry + "\" (want host:ip)");
    }
  }
  return Ok();
}

std::string Hostname(const container::Config& config, const container::HostConfig& host,
                     const std::string& id) {
  if (host.network_mode == "host") {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return name;
  }
  return config.hostname.empty() ? id.substr(0, 12) : config.hostname;
}

// MeasureSize fills the view's SizeRw (the writable layer's bytes) and SizeRootFs (those plus
// the image's), each left at -1 when it cannot be measured.
void MeasureSize(image::store::ImageStore& images, ContainerView& view) {
  Result<image::snapshot::DiskUsage> usage = images.snapshotter().Usage(view.record.id);
  if (!usage) return;
  view.size_rw = usage->bytes;
  Result<image::metadata::ImageRecord> image = images.catalog().Resolve(view.record.image_id);
  if (image) view.size_root = usage->bytes + image->size;
}

}  // namespace

Result<WaitCondition> ParseWaitCondition(std::string_view name) {
  if (name.empty() || name == "not-running") return WaitCondition::kNotRunning;
  if (name == "next-exit") return WaitCondition::kNextExit;
  if (name == "removed") return WaitCondition::kRemoved;
  return Fail(ErrorKind::kInvalidArgument, "invalid condition: \"" + std::string(name) +
                                               "\" (want not-running, next-exit or removed)");
}

Containers::Containers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Containers::~Containers() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->tasks_cv.notify_all();
  uint64_t one = 1;
  (void)!write(impl_->wake_fd, &one, sizeof(one));
  impl_->WakeHealth();
  {
    std::lock_guard lock(impl_->mu);
    for (int fd : impl_->drain_fds) shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& drain : impl_->drains) drain.join();
  if (impl_->monitor.joinable()) impl_->monitor.join();
  if (impl_->worker.joinable()) impl_->worker.join();
  if (impl_->health_thread.joinable()) impl_->health_thread.join();
  for (auto& [fd, id] : impl_->watched) close(fd);
  close(impl_->epoll_fd);
  close(impl_->wake_fd);
  close(impl_->health_epoll_fd);
  close(impl_->health_wake_fd);
}

Result<std::unique_ptr<Containers>> Containers::Open(ContainersOptions options,
                                                     image::store::ImageStore& images,
                                                     volume::Volumes& volumes, Events& events,
                                                     Networks& networks) {
  auto impl = std::make_unique<Impl>(std::move(options), images, volumes, events, networks);
  BERTH_TRY(MakeDirs(impl->options.data_root + "/containers", 0710));
  BERTH_TRY(MakeDirs(impl->options.exec_root + "/containers", 0700));
  BERTH_TRY(MakeDirs(impl->RuntimeRoot(), 0700));
  // Programs compiled by another build of berth may differ: each daemon starts the cache afresh.
  BERTH_TRY(RemoveAll(impl->SeccompCacheDir()));
  BERTH_TRY(MakeDirs(impl->SeccompCacheDir(), 0700));
  // The embedded DNS server forwards the names the networks do not know to the host's resolvers.
  const network::dns::ResolvConf host_resolv =
      network::dns::ParseResolvConf(ReadFile("/etc/resolv.conf").value_or(""));
  for (const std::string& server : impl->options.dns) {
    BERTH_ASSIGN_OR_RETURN(network::dns::IpAddress address,
                           Annotate(network::dns::IpAddress::Parse(server), "--dns"));
    impl->dns_servers.push_back(address);
  }
  network::dns::ServerOptions dns_options;
  for (const network::dns::IpAddress& server :
       impl->dns_servers.empty() ? host_resolv.nameservers : impl->dns_servers) {
    dns_options.upstreams.push_back({.address = server});
  }
  if (Result<std::unique_ptr<network::dns::Server>> dns =
          network::dns::Server::Start(std::move(dns_options))) {
    impl->dns = std::move(*dns);
    impl->dns_search = host_resolv.search;
  } else {
    log::Warn("containers: no embedded DNS server: {}", dns.error().message());
  }
  BERTH_TRY(MakeDirs(impl->NetnsDir(), 0700));
  if (impl->options.shim_path.starts_with('/')) {
    if (Result<UniqueFd> sealed = shim::SealExecutable(impl->options.shim_path)) {
      impl->shim_exe = std::move(*sealed);
      impl->options.shim_path = "/proc/self/fd/" + std::to_string(impl->shim_exe.get());
    } else {
      log::Warn("containers: {}; each shim seals itself", sealed.error().message());
    }
  }
  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) return Fail(ErrnoNow("containers: epoll"));
  epoll_event wake{.events = EPOLLIN, .data = {.fd = impl->wake_fd}};
  if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, &wake) < 0) {
    return Fail(ErrnoNow("containers: epoll_ctl"));
  }
  impl->health_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->health_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->health_epoll_fd < 0 || impl->health_wake_fd < 0) {
    return Fail(ErrnoNow("containers: health checks: epoll"));
  }
  epoll_event health_wake{.events = EPOLLIN, .data = {.fd = impl->health_wake_fd}};
  if (epoll_ctl(impl->health_epoll_fd, EPOLL_CTL_ADD, impl->health_wake_fd, &health_wake) < 0) {
    return Fail(ErrnoNow("containers: health checks: epoll_ctl"));
  }
  std::vector<std::shared_ptr<Container>> loaded;
  const std::string root = impl->options.data_root + "/containers";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(root.c_str()), closedir);
  if (!dir) return Fail(ErrnoNow("open " + root));
  while (dirent* entry = readdir(dir.get())) {
    const std::string id = entry->d_name;
    if (id.size() != 64) continue;
    Result<Record> record = container::LoadRecord(impl->DataDir(id));
    // Without a snapshot the container never finished its create, or its rm was cut short.
    if (!record || !impl->images.snapshotter().Stat(id)) {
      log::Warn("containers: dropping the incomplete container {}{}", id,
                record ? "" : ": " + record.error().message());
      (void)impl->images.RemoveRootfs(id);
      (void)RemoveAll(impl->DataDir(id));
      (void)RemoveAll(impl->ExecDir(id));
      continue;
    }
    for (const container::MountPoint& p : record->mount_points) {
      if (p.type != "volume") continue;
      if (Status referenced = volumes.Reference(p.name, id); !referenced) {
        log::Warn("container {}: {}", id, referenced.error().message());
      }
    }
    auto c = std::make_shared<Container>();
    c->record = std::move(*record);
    impl->names[c->record.name] = id;
    impl->by_id[id] = c;
    loaded.push_back(c);
  }
  Impl* raw = impl.get();
  auto containers = std::unique_ptr<Containers>(new Containers(std::move(impl)));
  for (const auto& c : loaded) raw->Recover(c);
  raw->RemoveStaleNetns();
  raw->monitor = std::thread([raw] { raw->MonitorLoop(); });
  raw->worker = std::thread([raw] { raw->WorkerLoop(); });
  raw->health_thread = std::thread([raw] { raw->HealthLoop(); });
  return containers;
}

Result<std::shared_ptr<Containers::Container>> Containers::Impl::Find(std::string_view ref) {
  std::lock_guard lock(mu);
  auto not_found = [&] {
    return Fail(ErrorKind::kNotFound, "No such container: " + std::string(ref));
  };
  if (ref.empty()) return not_found();
  if (auto it = by_id.find(std::string(ref)); it != by_id.end()) return it->second;
  const std::string name = ref.starts_with('/') ? std::string(ref) : "/" + std::string(ref);
  if (auto it = names.find(name); it != names.end()) return by_id.at(it->second);
  std::shared_ptr<Container> found;
  for (auto it = by_id.lower_bound(std::string(ref));
       it != by_id.end() && it->first.starts_with(ref); ++it) {
    if (found) {
      return Fail(ErrorKind::kInvalidArgument,
                  "multiple IDs found with provided prefix: " + std::string(ref));
    }
    found = it->second;
  }
  if (!found) return not_found();
  return found;
}

void Containers::Impl::Emit(const Record& r, std::string action,
                            std::map<std::string, std::string> extra) {
  Event event{.type = "container", .action = std::move(action), .id = r.id};
  event.attributes = r.config.image.labels;
  event.attributes["name"] = r.name.substr(1);
  event.attributes["image"] = r.config.image_name;
  for (auto& [key, value] : extra) event.attributes[key] = std::move(value);
  events.Publish(std::move(event));
}

void Containers::Impl::Forget(const std::string& id) {
  std::lock_guard lock(mu);
  auto it = by_id.find(id);
  if (it == by_id.end()) return;
  std::erase_if(names, [&](const auto& entry) { return entry.second == id; });
  std::erase_if(execs, [&](const auto& entry) { return entry.second->view.container_id == id; });
  by_id.erase(it);
}

Result<std::string> Containers::Create(std::string_view name,
                                       const container::CreateRequest& request) {
  Impl& d = *impl_;
  if (request.config.image_name.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "config.Image: no image given");
  }
  Result<image::metadata::ImageRecord> image =
      d.images.catalog().Resolve(request.config.image_name);
  if (!image) {
    if (image.error().kind() != ErrorKind::kNotFound) return Fail(std::move(image).error());
    return Fail(ErrorKind::kNotFound, "No such image: " + request.config.image_name);
  }
  BERTH_ASSIGN_OR_RETURN(std::string config_text, d.images.ReadBlob(image->id));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig image_doc, oci::DecodeImageConfig(config_text));
  const oci::ContainerConfig image_config = image_doc.config.value_or(oci::ContainerConfig{});
  BERTH_TRY(CheckExtraHosts(request.host_config));
  const std::string& runtime =
      request.host_config.runtime.empty() ? d.options.default_runtime : request.host_config.runtime;
  BERTH_TRY(d.RuntimeOf(runtime));
  BERTH_ASSIGN_OR_RETURN(std::vector<container::MountPoint> inherited,
                         d.MountsFrom(request.host_config));
  BERTH_ASSIGN_OR_RETURN(auto networks, d.PlanNetworks(request));
  const std::string id = Impl::NewId();
  const std::string hostname = Hostname(request.config, request.host_config, id);
  BERTH_ASSIGN_OR_RETURN(
      std::vector<container::MountPoint> mount_points,
      container::PlanMounts(request.config, request.host_config, image_config, inherited));
  BERTH_TRY(d.CheckBindSources(mount_points));
  // What start will plan, planned now so that a bad field fails the create.
  container::SpecInput probe{.id = id,
                             .hostname = hostname,
                             .rootfs = "/",
                             .mounts = mount_points,
                             .init_path = d.options.init_path,
                             .seccomp_host = d.options.seccomp_host};
  BERTH_TRY(container::BuildSpec(request.config, request.host_config, image_config, probe));
  Record record;
  record.id = id;
  BERTH_ASSIGN_OR_RETURN(record.args, container::Command(request.config, image_config));
  record.created = FormatRfc3339Nano(std::chrono::system_clock::now());
  record.image_id = image->id.String();
  record.config = request.config;
  // As docker: the image's health check, with the container's fields over it.
  record.config.image.healthcheck =
      container::MergeHealthcheck(request.config.image.healthcheck, image_config.healthcheck);
  record.config.hostname = hostname;
  record.host_config = request.host_config;
  record.host_config.runtime = runtime;
  record.networks = std::move(networks);
  // As docker: the image's exposed ports are the container's too (-P publishes them).
  record.config.image.exposed_ports.insert(image_config.exposed_ports.begin(),
                                           image_config.exposed_ports.end());
  if (record.host_config.log_config.type.empty()) record.host_config.log_config.type = "json-file";
  const std::string dir = d.DataDir(id);
  if (record.host_config.log_config.type == "json-file") {
    record.log_path = dir + "/" + id + "-json.log";
  }
  // Reserve the name.
  {
    std::lock_guard lock(d.mu);
    if (name.empty()) {
      for (int attempt = 0; record.name.empty() || d.names.contains(record.name); ++attempt) {
        record.name = container::GenerateName(attempt);
      }
    } else {
      BERTH_ASSIGN_OR_RETURN(record.name, container::CheckName(name));
      if (auto it = d.names.find(record.name); it != d.names.end()) {
        return Fail(ErrorKind::kConflict,
                    fmt::format("Conflict. The container name \"{}\" is already in use by "
                                "container \"{}\". You have to remove (or rename) that container "
                                "to be able to reuse that name.",
                                record.name, it->second));
      }
    }
    d.names[record.name] = id;
  }
  auto release = [&] {
    std::lock_guard lock(d.mu);
    d.names.erase(record.name);
  };
  // The volumes, then the record, then the snapshot: Open drops a record whose snapshot is
  // missing (its anonymous volumes stay, unused, for prune).
  Status made = d.PrepareMounts(id, mount_points);
  if (!made) {
    release();
    return Fail(std::move(made).error());
  }
  record.mount_points = std::move(mount_points);
  made = [&]() -> Status {
    BERTH_TRY(MakeDirs(dir, 0710));
    BERTH_TRY(WriteFile(dir + "/hostname", hostname + "\n"));
    BERTH_TRY(d.WriteHosts(record));
    // With the host's network, the host's file as it is.
    Result<std::string> resolv = ReadFile("/etc/resolv.conf");
    std::string resolv_conf = resolv ? *resolv : "";
    if (OnUserDefinedNetwork(record)) {
      resolv_conf = network::dns::ContainerResolvConf(network::dns::ParseResolvConf(resolv_conf));
    } else if (record.host_config.network_mode != "host") {
      resolv_conf =
          network::dns::BridgeResolvConf(network::dns::ParseResolvConf(resolv_conf), d.dns_servers);
    }
    BERTH_TRY(WriteFile(dir + "/resolv.conf", resolv_conf));
    BERTH_TRY(container::SaveRecord(dir, record));
    return d.images.PrepareRootfs(id, image->id).map([](auto&&) {});
  }();
  if (!made) {
    release();
    d.ReleaseMounts(id, record.mount_points, true);
    (void)RemoveAll(dir);
    return Fail(std::move(made).error().Wrap("create container"));
  }
  d.Emit(record, "create");
  auto c = std::make_shared<Container>();
  c->record = std::move(record);
  std::lock_guard lock(d.mu);
  d.by_id[id] = c;
  return id;
}

Status Containers::Remove(std::string_view ref, bool force, bool remove_volumes) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  return impl_->RemoveLocked(c, force, remove_volumes);
}

Status Containers::Rename(std::string_view ref, std::string_view new_name) {
  Impl& d = *impl_;
  BERTH_ASSIGN_OR_RETURN(auto c, d.Find(ref));
  BERTH_ASSIGN_OR_RETURN(std::string name, container::CheckName(new_name));
  std::lock_guard op(c->op_mu);
  std::lock_guard lock(c->mu);
  if (c->record.name == name) {
    return Fail(ErrorKind::kInvalidArgument,
                "Renaming a container with the same name as its current name");
  }
  {
    std::lock_guard maps(d.mu);
    if (auto it = d.names.find(name); it != d.names.end()) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("Error when allocating new name: Conflict. The container name "
                              "\"{}\" is already in use by container \"{}\". You have to remove "
                              "(or rename) that container to be able to reuse that name.",
                              name, it->second));
    }
    d.names.erase(c->record.name);
    d.names[name] = c->record.id;
  }
  const std::string old = c->record.name;
  c->record.name = name;
  Status saved = container::SaveRecord(d.DataDir(c->record.id), c->record);
  if (!saved) {
    std::lock_guard maps(d.mu);
    d.names.erase(name);
    d.names[old] = c->record.id;
    c->record.name = old;
    return saved;
  }
  d.Emit(c->record, "rename", {{"oldName", old}});
  return Ok();
}

Result<ContainerView> Containers::Inspect(std::string_view ref, bool size) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  ContainerView view;
  {
    std::lock_guard lock(c->mu);
    view.record = c->record;
  }
  view.bundle = impl_->ExecDir(view.record.id);
  view.data_dir = impl_->DataDir(view.record.id);
  image::snapshot::Snapshotter& snapshotter = impl_->images.snapshotter();
  Result<image::store::GraphDriver> driver =
      image::store::SnapshotGraphDriver(snapshotter, view.record.id, view.bundle + "/rootfs");
  if (!driver && driver.error().kind() != ErrorKind::kNotFound) return Fail(driver.error());
  view.graph_driver =
      driver ? std::move(*driver)
             : image::store::GraphDriver{.name = image::store::GraphDriverName(snapshotter.name()),
                                         .data = {}};
  if (size) MeasureSize(impl_->images, view);
  return view;
}

namespace {

const std::set<std::string> kListFilters = {"id",     "name",   "label", "status", "ancestor",
                                            "exited", "before", "since", "health", "isolation"};

Result<bool> Matches(const ContainerView& v, const image::store::Filters& filters,
                     image::store::ImageStore& images) {
  const Record& r = v.record;
  for (const auto& [key, values] : filters) {
    if (!kListFilters.contains(key)) {
      return Fail(ErrorKind::kInvalidArgument, "invalid filter '" + key + "'");
    }
    if (values.empty() || key == "before" || key == "since") continue;
    // Labels must all hold (docker's MatchKVList); any value of the other filters may.
    if (key == "label") {
      if (!image::store::MatchLabels(values, r.config.image.labels)) return false;
      continue;
    }
    bool any = false;
    for (const std::string& value : values) {
      if (key == "id") {
        any = any || r.id.starts_with(value);
      } else if (key == "name") {
        // A POSIX extended regular expression, as close to Go's as libc has.
        regex_t pattern;
        if (regcomp(&pattern, value.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
          return Fail(ErrorKind::kInvalidArgument, "invalid filter 'name=" + value + "'");
        }
        any = any || regexec(&pattern, r.name.c_str(), 0, nullptr, 0) == 0;
        regfree(&pattern);
      } else if (key == "status") {
        BERTH_ASSIGN_OR_RETURN(ContainerStatus status,
                               Annotate(container::ParseStatus(value), "invalid filter 'status'"));
        any = any || r.state.status == status;
      } else if (key == "ancestor") {
        Result<image::metadata::ImageRecord> image = images.catalog().Resolve(value);
        any = any || (image && image->id.String() == r.image_id) || r.config.image_name == value;
      } else if (key == "exited") {
        BERTH_ASSIGN_OR_RETURN(int64_t code, ParseInt64(value));
        any = any || (r.state.status == ContainerStatus::kExited && r.state.exit_code == code);
      } else if (key == "health") {
        if (value != "none" && !container::ParseHealthStatus(value)) {
          return Fail(ErrorKind::kInvalidArgument,
                      "Unrecognised filter value for health: " + value);
        }
        const std::string_view health = r.state.health
                                            ? container::HealthStatusName(r.state.health->status)
                                            : std::string_view("none");
        any = any || value == health;
      } else if (key == "isolation") {
        any = any || value == "default";
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<ContainerView>> Containers::List(const ListOptions& options) {
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, c] : impl_->by_id) all.push_back(c);
  }
  std::vector<ContainerView> views;
  for (const auto& c : all) {
    std::lock_guard lock(c->mu);
    views.push_back({.record = c->record,
                     .data_dir = impl_->DataDir(c->record.id),
                     .bundle = impl_->ExecDir(c->record.id)});
  }
  std::sort(views.begin(), views.end(), [](const ContainerView& a, const ContainerView& b) {
    return a.record.created > b.record.created;
  });
  // before/since: created strictly before or after the container named.
  auto bound = [&](const char* key) -> Result<std::optional<std::string>> {
    auto it = options.filters.find(key);
    if (it == options.filters.end() || it->second.empty()) return std::nullopt;
    BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(it->second.front()));
    std::lock_guard lock(c->mu);
    return c->record.created;
  };
  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> before, bound("before"));
  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> since, bound("since"));
  std::vector<ContainerView> out;
  for (ContainerView& v : views) {
    const bool running_only = !options.all && options.limit < 0 && !before && !since;
    if (running_only && v.record.state.status != ContainerStatus::kRunning &&
        v.record.state.status != ContainerStatus::kPaused &&
        v.record.state.status != ContainerStatus::kRestarting &&
        !options.filters.contains("status") && !options.filters.contains("exited")) {
      continue;
    }
    if (before && v.record.created >= *before) continue;
    if (since && v.record.created <= *since) continue;
    BERTH_ASSIGN_OR_RETURN(bool match, Matches(v, options.filters, impl_->images));
    if (!match) continue;
    if (options.size) MeasureSize(impl_->images, v);
    out.push_back(std::move(v));
    if (options.limit > 0 && static_cast<int>(out.size()) >= options.limit) break;
  }
  return out;
}

std::vector<image::store::ContainerUse> Containers::Users(const Digest& image_id) {
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, c] : impl_->by_id) all.push_back(c);
  }
  std::vector<image::store::ContainerUse> users;
  for (const auto& c : all) {
    std::lock_guard lock(c->mu);
    if (c->record.image_id == image_id.String()) users.push_back({c->record.id, c->Running()});
  }
  return users;
}

}  // namespace berth::daemon
