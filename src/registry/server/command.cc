#include "registry/server/command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>

#include "base/log.h"
#include "base/shutdown_signals.h"
#include "http/server.h"
#include "registry/server/registry.h"

namespace berth::registry::server {
namespace {

struct ServeFlags {
  std::string addr = "127.0.0.1:5000";
  http::TlsServerConfig tls;  // no cert_file: plain HTTP
  RegistryOptions registry;
  bool debug = false;
};

Result<int> Serve(const std::string& program, const ServeFlags& flags) {
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
  log::Info("{} serving {} on {}{}", program, flags.registry.root, bound, tls ? " (TLS)" : "");
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
  BERTH_ASSIGN_OR_RETURN(GcReport report, registry->CollectGarbage());
  std::printf(
      "deleted %lld blobs (%lld bytes), kept %lld\n", static_cast<long long>(report.blobs_deleted),
      static_cast<long long>(report.bytes_deleted), static_cast<long long>(report.blobs_kept));
  return 0;
}

void AddServeFlags(CLI::App& cmd, ServeFlags& serve) {
  cmd.add_option("--addr", serve.addr, "TCP address to listen on (host:port)");
  cmd.add_option("--root", serve.registry.root, "directory of the registry's data")->required();
  cmd.add_option("--htpasswd", serve.registry.htpasswd,
                 "htpasswd file (bcrypt) of the users allowed (Basic authentication)");
  cmd.add_option("--realm", serve.registry.realm, "realm of Basic authentication");
  TokenOptions& token = serve.registry.token;
  cmd.add_option("--auth-token-realm", token.realm,
                 "URL of the token server (token authentication)");
  cmd.add_option("--auth-token-service", token.service, "service the tokens are issued for");
  cmd.add_option("--auth-token-issuer", token.issuer, "issuer of the tokens");
  cmd.add_option("--auth-token-rootcertbundle", token.rootcertbundle,
                 "PEM file of the certificates whose keys sign tokens");
  cmd.add_option("--tls-cert", serve.tls.cert_file,
                 "serve HTTPS with this certificate (PEM, its chain after it)");
  cmd.add_option("--tls-key", serve.tls.key_file, "private key of --tls-cert (PEM)");
  cmd.add_option("--tls-client-ca", serve.tls.client_ca_file,
                 "require client certificates signed by these CAs (PEM)");
  cmd.add_flag("--debug", serve.debug, "log every request");
}

}  // namespace

int RunCommand(const std::string& program, const std::vector<std::string>& args) {
  BlockShutdownSignals();

  CLI::App app{program + ": an OCI distribution (Docker Registry v2) server", program};
  app.require_subcommand(1);
  ServeFlags serve;
  AddServeFlags(*app.add_subcommand("serve", "serve the registry API"), serve);
  RegistryOptions gc;
  CLI::App* gc_cmd = app.add_subcommand("gc", "delete the blobs no manifest references");
  gc_cmd->add_option("--root", gc.root, "directory of the registry's data")->required();
  try {
    // CLI11 takes the words last first.
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  Result<int> code = gc_cmd->parsed() ? CollectGarbage(gc) : Serve(program, serve);
  if (!code) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), code.error().message().c_str());
    return 1;
  }
  return *code;
}

}  // namespace berth::registry::server
