// berth-registry: the registry server. `serve` serves the distribution API v2 over a root
// directory on a TCP address (HTTPS with --tls-cert and --tls-key, client certificates required
// with --tls-client-ca) until SIGINT or SIGTERM; `gc` deletes the blobs no manifest
// references (while no server runs on the root). The work is in registry/server/.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <thread>

#include "base/log.h"
#include "base/shutdown_signals.h"
#include "http/server.h"
#include "registry/server/registry.h"

namespace {

using namespace berth;
using registry::server::Registry;
using registry::server::RegistryOptions;

struct ServeFlags {
  std::string addr = "127.0.0.1:5000";
  http::TlsServerConfig tls;  // no cert_file: plain HTTP
  RegistryOptions registry;
  bool debug = false;
};

Result<int> Serve(const ServeFlags& flags) {
  log::Configure(flags.debug ? log::Level::kDebug : log::Level::kInfo, log::Format::kText, 2);
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Registry> registry, Registry::Open(flags.registry));
  http::Router router;
  registry->AddRoutes(router);
  http::Server server(std::move(router), Registry::ServerOptions());
  const bool tls = !flags.tls.cert_file.empty() || !flags.tls.key_file.empty();
  if (tls && (flags.tls.cert_file.empty() || flags.tls.key_file.empty())) {
    return Fail(ErrorKind::kInvalidArgument, "--tls-cert and --tls-key go together");
  }
  if (!tls && !flags.tls.client_ca_file.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "--tls-client-ca needs --tls-cert and --tls-key");
  }
  BERTH_ASSIGN_OR_RETURN(
      std::string bound,
      server.Listen({.address = "tcp://" + flags.addr,
                     .tls = tls ? std::optional<http::TlsServerConfig>(flags.tls) : std::nullopt}));
  log::Info("berth-registry serving {} on {}{}", flags.registry.root, bound, tls ? " (TLS)" : "");
  std::thread stopper([&] {
    WaitForShutdownSignal();
    server.Stop();
  });
  server.Serve();
  stopper.join();
  return 0;
}

Result<int> CollectGarbage(const RegistryOptions& options) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Registry> registry, Registry::Open(options));
  BERTH_ASSIGN_OR_RETURN(registry::server::GcReport report, registry->CollectGarbage());
  std::printf(
      "deleted %lld blobs (%lld bytes), kept %lld\n", static_cast<long long>(report.blobs_deleted),
      static_cast<long long>(report.bytes_deleted), static_cast<long long>(report.blobs_kept));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  BlockShutdownSignals();

  CLI::App app{"berth-registry: an OCI distribution (Docker Registry v2) server", "berth-registry"};
  app.require_subcommand(1);
  ServeFlags serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "serve the registry API");
  serve_cmd->add_option("--addr", serve.addr, "TCP address to listen on (host:port)");
  serve_cmd->add_option("--root", serve.registry.root, "directory of the registry's data")
      ->required();
  serve_cmd->add_option("--htpasswd", serve.registry.htpasswd,
                        "htpasswd file (bcrypt) of the users allowed; none: no authentication");
  serve_cmd->add_option("--realm", serve.registry.realm, "realm of Basic authentication");
  serve_cmd->add_option("--tls-cert", serve.tls.cert_file,
                        "serve HTTPS with this certificate (PEM, its chain after it)");
  serve_cmd->add_option("--tls-key", serve.tls.key_file, "private key of --tls-cert (PEM)");
  serve_cmd->add_option("--tls-client-ca", serve.tls.client_ca_file,
                        "require client certificates signed by these CAs (PEM)");
  serve_cmd->add_flag("--debug", serve.debug, "log every request");
  RegistryOptions gc;
  CLI::App* gc_cmd = app.add_subcommand("gc", "delete the blobs no manifest references");
  gc_cmd->add_option("--root", gc.root, "directory of the registry's data")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  Result<int> code = serve_cmd->parsed() ? Serve(serve) : CollectGarbage(gc);
  if (!code) {
    std::fprintf(stderr, "berth-registry: %s\n", code.error().message().c_str());
    return 1;
  }
  return *code;
}
