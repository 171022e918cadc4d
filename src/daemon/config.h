// DaemonConfig: berthd's settings, from dockerd's flags and from daemon.json (the same keys as
// dockerd's: "hosts", "data-root", "exec-root", "pidfile", "log-level", "group",
// "storage-driver", "registry-mirrors", "insecure-registries", "max-concurrent-downloads",
// "max-concurrent-uploads", "dns", "tls", "tlsverify", "tlscacert", "tlscert", "tlskey",
// "init-path", "live-restore", "runtimes", "default-runtime"). A setting given both as a flag and
// in the file is refused, as dockerd refuses it; so is a key berthd does not know. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::daemon {

// The name of the built-in runtime: the runtime library inside berth-shim.
inline constexpr const char* kBuiltinRuntime = "berth";

// An OCI runtime binary with runc's command line (an entry of daemon.json's "runtimes", or
// --add-runtime NAME=PATH), which the shim runs instead of creating the container in-process.
struct OciRuntime {
  std::string path;               // absolute, or searched in PATH
  std::vector<std::string> args;  // "runtimeArgs": given before each command
  bool operator==(const OciRuntime&) const = default;
};

struct DaemonConfig {
  std::vector<std::string> hosts;  // -H: unix:///path or tcp://host:port; none: the default
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::string pidfile;  // empty: exec_root/berthd.pid
  std::string log_level = "info";
  std::string group = "berth";  // the unix sockets' group, when it exists
  std::string storage_driver;   // "overlay2" or "native"; empty: overlay when it works
  std::vector<std::string> registry_mirrors;     // docker.io mirrors, URLs
  std::vector<std::string> insecure_registries;  // host:port or CIDR
  int max_concurrent_downloads = 3;              // blobs fetched at once by a pull
  int max_concurrent_uploads = 5;                // blobs sent at once by a push
  int64_t upload_chunk_size = 64 << 20;          // larger blobs are pushed in chunks (a flag only)
  std::vector<std::string> dns;  // the name servers containers use; none: the host's
  // TLS on every tcp:// host: --tls serves it, --tlsverify (which implies --tls) also requires
  // client certificates signed by tlscacert. The files default to dockerd's, in
  // $DOCKER_CERT_PATH or ~/.docker: ca.pem, cert.pem, key.pem (empty here).
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert;
  std::string tlscert;
  std::string tlskey;
  std::string init_path;  // the init of --init; empty: docker-init, tini-static or tini in PATH
  // Containers keep running when berthd stops (always so when it is killed); false: a clean
  // shutdown stops them, as dockerd's default does.
  bool live_restore = true;
  std::map<std::string, OciRuntime> runtimes;  // by name, besides the built-in kBuiltinRuntime
  std::string default_runtime = kBuiltinRuntime;
};

// ParseAddRuntime reads --add-runtime's NAME=PATH.
Result<std::pair<std::string, OciRuntime>> ParseAddRuntime(std::string_view flag);

// CheckRuntimes refuses a runtime named as the built-in one and a default runtime that is
// neither the built-in one nor configured (dockerd's words).
Status CheckRuntimes(const DaemonConfig& config);

// MergeDaemonJson applies the JSON text of a daemon.json (path names it in errors) over config.
// flags_set names the keys that were given as flags (their daemon.json names).
Status MergeDaemonJson(std::string_view text, std::string_view path,
                       const std::set<std::string>& flags_set, DaemonConfig* config);

}  // namespace berth::daemon
