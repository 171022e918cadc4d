// berthd: the daemon. Parses dockerd's flags and daemon.json into a DaemonConfig, opens the
// daemon over its data root, registers the API routes and serves them on every -H address until
// SIGINT or SIGTERM. The wiring is all here; the work is in daemon/ and api/.
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "api/server/registry_routes.h"
#include "api/server/routes.h"
#include "base/file.h"
#include "base/log.h"
#include "base/shutdown_signals.h"
#include "base/strings.h"
#include "client/client.h"
#include "cmd/berthd/pidfile.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "http/server.h"

namespace {

using namespace berth;

constexpr const char* kVersion = "0.1.0";

Result<image::store::SnapshotterKind> SnapshotterOf(const std::string& driver) {
  if (driver.empty()) return image::store::SnapshotterKind::kAuto;
  if (driver == "overlay2" || driver == "overlay") return image::store::SnapshotterKind::kOverlay;
  if (driver == "native" || driver == "vfs") return image::store::SnapshotterKind::kNative;
  return Fail(ErrorKind::kInvalidArgument,
              "storage driver \"" + driver + "\": berthd has overlay2 and native");
}

// Sibling finds a program installed beside berthd (a build tree, /usr/local/bin), else in PATH.
std::string Sibling(const std::string& name) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto beside = self.parent_path() / name;
    if (access(beside.c_str(), X_OK) == 0) return beside;
    const auto in_tree = self.parent_path().parent_path() / name / name;  // build/src/cmd/<name>/
    if (access(in_tree.c_str(), X_OK) == 0) return in_tree;
  }
  return name;
}

// InitBinary is the init process `run --init` puts first: the --init-path given (which must be
// an executable file), else docker's docker-init, tini-static or tini found in PATH; "" when
// there is none (a container asking for one is then refused).
Result<std::string> InitBinary(const std::string& given) {
  if (!given.empty()) {
    if (access(given.c_str(), X_OK) != 0) {
      return Fail(ErrnoNow("init-path " + given));
    }
    return given;
  }
  for (const char* name : {"docker-init", "tini-static", "tini"}) {
    for (const std::string& dir : Split(std::getenv("PATH") ? std::getenv("PATH") : "", ':')) {
      const std::string path = (dir.empty() ? "." : dir) + "/" + name;
      if (access(path.c_str(), X_OK) == 0) return path;
    }
  }
  return std::string();
}

// TlsOf is the TLS of the tcp:// hosts, as dockerd decides it: --tlsverify implies --tls and
// requires client certificates signed by --tlscacert; the files default to those of
// $DOCKER_CERT_PATH or ~/.docker.
std::optional<http::TlsServerConfig> TlsOf(const daemon::DaemonConfig& config) {
  if (!config.tls && !config.tlsverify) return std::nullopt;
  const std::string dir = client::DockerCertPath();
  auto or_default = [&](const std::string& file, const char* name) {
    return file.empty() ? dir + "/" + name : file;
  };
  return http::TlsServerConfig{
      .cert_file = or_default(config.tlscert, "cert.pem"),
      .key_file = or_default(config.tlskey, "key.pem"),
      .client_ca_file = config.tlsverify ? or_default(config.tlscacert, "ca.pem") : ""};
}

Result<int> Run(daemon::DaemonConfig config) {
  BERTH_ASSIGN_OR_RETURN(log::Level level, log::ParseLevel(config.log_level));
  log::Configure(level, log::Format::kText, 2);
  BERTH_ASSIGN_OR_RETURN(image::store::SnapshotterKind snapshotter,
                         SnapshotterOf(config.storage_driver));
  if (config.hosts.empty()) config.hosts = {"unix://" + config.exec_root + "/berth.sock"};
  if (config.pidfile.empty()) config.pidfile = config.exec_root + "/berthd.pid";

  registry::client::RegistryConfig registries;
  registries.mirrors = config.registry_mirrors;
  registries.insecure = config.insecure_registries;
  BERTH_TRY(registry::client::ValidateRegistryConfig(registries));
  BERTH_TRY(MakeDirs(config.exec_root, 0700));
  BERTH_TRY(daemon::CheckRuntimes(config));
  BERTH_ASSIGN_OR_RETURN(std::string init_path, InitBinary(config.init_path));
  BERTH_ASSIGN_OR_RETURN(cmd::PidFile pidfile, cmd::PidFile::Create(config.pidfile));
  BERTH_ASSIGN_OR_RETURN(
      std::unique_ptr<daemon::Daemon> d,
      daemon::Daemon::Open({.data_root = config.data_root,
                            .exec_root = config.exec_root,
                            .snapshotter = snapshotter,
                            .shim_path = Sibling("berth-shim"),
                            .init_path = init_path,
                            .debug = level == log::Level::kDebug,
                            .registry = registries,
                            .max_concurrent_downloads = config.max_concurrent_downloads,
                            .max_concurrent_uploads = config.max_concurrent_uploads,
                            .upload_chunk_size = config.upload_chunk_size,
                            .dns = config.dns,
                            .runtimes = config.runtimes,
                            .default_runtime = config.default_runtime,
                            .live_restore = config.live_restore}));
  api::version::EngineVersions versions{.server_version = kVersion};
  http::Router router;
  api::server::AddSystemRoutes(router, *d, versions);
  api::server::AddRegistryRoutes(router, *d);
  api::server::AddImageRoutes(router, *d);
  api::server::AddContainerRoutes(router, *d);
  api::server::AddNetworkRoutes(router, *d);
  api::server::AddVolumeRoutes(router, d->volumes());
  api::server::AddEventRoutes(router, d->events());
  http::Server server(std::move(router), api::version::EngineServerOptions(versions));
  if (!init_path.empty()) log::Info("init for --init: {}", init_path);
  const std::optional<http::TlsServerConfig> tls = TlsOf(config);
  for (const std::string& host : config.hosts) {
    const bool tcp = host.starts_with("tcp://");
    if (tcp && !tls)
      log::Warn("API on {} is served without TLS: anyone who reaches it is root", host);
    BERTH_ASSIGN_OR_RETURN(std::string bound, server.Listen({.address = host,
                                                             .unix_group = config.group,
                                                             .tls = tcp ? tls : std::nullopt}));
    log::Info("API listening on {}{}", bound, tcp && tls ? " (TLS)" : "");
  }
  log::Info("berthd {} started: data root {}, storage driver {}", kVersion, config.data_root,
            d->images().snapshotter().name());

  std::thread stopper([&] {
    WaitForShutdownSignal();
    d->events().Close();         // event streams wait for events, not for their connection
    d->containers().EndWaits();  // and container waits for exits
    server.Stop();
  });
  server.Serve();
  // Serve returns only after Stop, which only the stopper calls.
  stopper.join();
  if (!config.live_restore) d->containers().Shutdown();
  log::Info("berthd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives threads up to 8 malloc arenas per core, and each keeps memory once its thread is
  // done with it; berthd's threads mostly wait on sockets and children, so two arenas cost no
  // contention and bound what a burst of connection threads leaves behind.
  mallopt(M_ARENA_MAX, 2);
  BlockShutdownSignals();

  CLI::App app{"berthd: the berth daemon, serving the Docker Engine API", "berthd"};
  app.set_version_flag("-v,--version", std::string("berthd version ") + kVersion);
  daemon::DaemonConfig config;
  std::vector<std::string> add_runtimes;
  const char* tls_verify_env = std::getenv("DOCKER_TLS_VERIFY");
  config.tlsverify = tls_verify_env != nullptr && *tls_verify_env != '\0';  // dockerd's default
  std::string config_file = "/etc/berth/daemon.json";
  // The flags given, by their daemon.json names (a setting may not be in both places).
  std::map<std::string, CLI::Option*> flags = {
      {"hosts", app.add_option("-H,--host", config.hosts, "daemon socket(s) to connect to")},
      {"data-root", app.add_option("--data-root", config.data_root, "root of persistent state")},
      {"exec-root", app.add_option("--exec-root", config.exec_root, "root of runtime state")},
      {"pidfile", app.add_option("-p,--pidfile", config.pidfile, "path of the daemon's pid file")},
      {"log-level",
       app.add_option("-l,--log-level", config.log_level, "debug, info, warn, error or fatal")},
      {"group", app.add_option("-G,--group", config.group, "group of the unix sockets")},
      {"storage-driver",
       app.add_option("-s,--storage-driver", config.storage_driver, "overlay2 or native")},
      {"registry-mirrors", app.add_option("--registry-mirror", config.registry_mirrors,
                                          "preferred registry mirror (for docker.io)")},
      {"insecure-registries",
       app.add_option("--insecure-registry", config.insecure_registries,
                      "registry reached by plain HTTP or unverified TLS (host:port or CIDR)")},
      {"max-concurrent-downloads",
       app.add_option("--max-concurrent-downloads", config.max_concurrent_downloads,
                      "the most blobs one pull fetches at once")
           ->check(CLI::Range(1, 1024))},
      {"dns", app.add_option("--dns", config.dns, "DNS server for the containers to use")},
      {"init-path",
       app.add_option("--init-path", config.init_path, "path to the docker-init binary")},
      {"live-restore", app.add_flag("--live-restore", config.live_restore,
                                    "keep containers running when the daemon stops (default true; "
                                    "--live-restore=false stops them on a clean shutdown)")},
      {"runtimes", app.add_option("--add-runtime", add_runtimes,
                                  "register an OCI runtime NAME=PATH (runc's command line)")},
      {"default-runtime", app.add_option("--default-runtime", config.default_runtime,
                                         "the runtime of containers that name none")},
      {"max-concurrent-uploads",
       app.add_option("--max-concurrent-uploads", config.max_concurrent_uploads,
                      "the most blobs one push sends at once")
           ->check(CLI::Range(1, 1024))},
      {"tls", app.add_flag("--tls", config.tls, "Use TLS; implied by --tlsverify")},
      {"tlsverify", app.add_flag("--tlsverify", config.tlsverify, "Use TLS and verify the remote")},
      {"tlscacert",
       app.add_option("--tlscacert", config.tlscacert,
                      "Trust certs signed only by this CA (default ~/.docker/ca.pem)")},
      {"tlscert", app.add_option("--tlscert", config.tlscert,
                                 "Path to TLS certificate file (default ~/.docker/cert.pem)")},
      {"tlskey", app.add_option("--tlskey", config.tlskey,
                                "Path to TLS key file (default ~/.docker/key.pem)")}};
  app.add_option("--registry-upload-chunk-size", config.upload_chunk_size,
                 "push blobs larger than this many bytes in chunks of that size")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  CLI::Option* config_flag =
      app.add_option("--config-file", config_file, "daemon configuration file");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& flag : add_runtimes) {
    Result<std::pair<std::string, daemon::OciRuntime>> runtime = daemon::ParseAddRuntime(flag);
    if (!runtime) {
      std::fprintf(stderr, "berthd: %s\n", runtime.error().message().c_str());
      return 1;
    }
    config.runtimes[runtime->first] = runtime->second;
  }

  std::set<std::string> flags_set;
  for (const auto& [key, option] : flags) {
    if (option->count() > 0) flags_set.insert(key);
  }
  Result<std::string> text = ReadFile(config_file);
  if (text) {
    Status merged = daemon::MergeDaemonJson(*text, config_file, flags_set, &config);
    if (!merged) {
      std::fprintf(stderr, "berthd: %s\n", merged.error().message().c_str());
      return 1;
    }
  } else if (config_flag->count() > 0 || text.error().kind() != ErrorKind::kNotFound) {
    std::fprintf(stderr, "berthd: %s\n", text.error().message().c_str());
    return 1;
  }
  Result<int> code = Run(std::move(config));
  if (!code) {
    std::fprintf(stderr, "berthd: %s\n", code.error().message().c_str());
    return 1;
  }
  return *code;
}
