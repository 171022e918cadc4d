// Where a registry named in a reference is reached, as dockerd decides it: docker.io through the
// configured mirrors first, then registry-1.docker.io; an insecure registry (listed by host:port
// or by CIDR, and every loopback address, as docker does by default) by HTTPS without
// verification, then by plain HTTP; every other one by verified HTTPS, trusting the CA
// certificates of /etc/docker/certs.d/<host:port>/*.crt (and berth's own /etc/berth/certs.d/)
// and a client certificate found there (*.cert with its *.key). Pure but for reading the
// certificate directories; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "registry/client/transport.h"

namespace berth::registry::client {

struct RegistryConfig {
  std::vector<std::string> mirrors;   // URLs of docker.io mirrors ("https://mirror.example")
  std::vector<std::string> insecure;  // "host:port", "host" or a CIDR ("10.0.0.0/8")
  std::vector<std::string> cert_dirs = {"/etc/docker/certs.d", "/etc/berth/certs.d"};
};

// ValidateRegistryConfig checks mirrors (http or https URLs) and insecure entries (a CIDR must
// parse), as dockerd checks them at start. kInvalidArgument names the entry.
Status ValidateRegistryConfig(const RegistryConfig& config);

struct Endpoint {
  std::string url;  // scheme://host[:port], no trailing slash
  TlsOptions tls;
  bool mirror = false;
};

// Endpoints lists, in the order they are tried, where domain (a reference's domain:
// "docker.io", "localhost:5000") is served.
std::vector<Endpoint> Endpoints(const RegistryConfig& config, std::string_view domain);

// IsInsecure tells whether domain is an insecure registry: listed, or a loopback address or
// "localhost" (with any port), or an IP address inside a listed CIDR.
bool IsInsecure(const RegistryConfig& config, std::string_view domain);

}  // namespace berth::registry::client
