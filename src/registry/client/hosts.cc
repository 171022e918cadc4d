#include "registry/client/hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>

#include "base/strings.h"

namespace berth::registry::client {
namespace {

constexpr std::string_view kDockerHubEndpoint = "https://registry-1.docker.io";

// HostOf strips the port from "host:port" or "[v6]:port".
std::string HostOf(std::string_view domain) {
  if (domain.starts_with('[')) {
    const size_t end = domain.find(']');
    return std::string(domain.substr(1, end == std::string_view::npos ? end : end - 1));
  }
  const size_t colon = domain.find(':');
  return std::string(domain.substr(0, colon));
}

struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
};

bool ParseAddress(const std::string& text, Address* out) {
  if (inet_pton(AF_INET, text.c_str(), out->bytes.data()) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->bytes.data()) == 1) {
    out->family = AF_INET6;
    return true;
  }
  return false;
}

// ParseCidr reads "addr/bits"; false when entry is no CIDR.
bool ParseCidr(std::string_view entry, Address* network, int* bits) {
  const size_t slash = entry.find('/');
  if (slash == std::string_view::npos) return false;
  if (!ParseAddress(std::string(entry.substr(0, slash)), network)) return false;
  Result<uint64_t> n = ParseUint64(entry.substr(slash + 1));
  const int max = network->family == AF_INET ? 32 : 128;
  if (!n || *n > static_cast<uint64_t>(max)) return false;
  *bits = static_cast<int>(*n);
  return true;
}

bool InNetwork(const Address& address, const Address& network, int bits) {
  if (address.family != network.family) return false;
  for (int i = 0; i < bits; ++i) {
    const int mask = 0x80 >> (i % 8);
    if ((address.bytes[i / 8] & mask) != (network.bytes[i / 8] & mask)) return false;
  }
  return true;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  Address address;
  if (!ParseAddress(host, &address)) return false;
  if (address.family == AF_INET) return address.bytes[0] == 127;
  static constexpr std::array<unsigned char, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                0, 0, 0, 0, 0, 0, 0, 1};
  return address.bytes == kV6Loopback;
}

// AddCertificates adds the CA and client certificates of the registry's certs.d directories.
void AddCertificates(const RegistryConfig& config, std::string_view domain, TlsOptions* tls) {
  for (const std::string& root : config.cert_dirs) {
    std::error_code error;
    const std::filesystem::path dir = std::filesystem::path(root) / std::string(domain);
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      if (file.ends_with(".crt")) tls->ca_files.push_back(file);
      if (file.ends_with(".cert") && tls->client_cert.empty()) {
        tls->client_cert = file;
        tls->client_key = file.substr(0, file.size() - 5) + ".key";
      }
    }
  }
}

}  // namespace

Status ValidateRegistryConfig(const RegistryConfig& config) {
  for (const std::string& mirror : config.mirrors) {
    if (!mirror.starts_with("http://") && !mirror.starts_with("https://")) {
      return Fail(ErrorKind::kInvalidArgument, "invalid mirror: unsupported scheme in \"" + mirror +
                                                   "\": must use http or https");
    }
  }
  for (const std::string& entry : config.insecure) {
    Address network;
    int bits = 0;
    if (entry.find('/') != std::string::npos && !ParseCidr(entry, &network, &bits)) {
      return Fail(ErrorKind::kInvalidArgument, "insecure registry " + entry + " is not valid");
    }
  }
  return Ok();
}

bool IsInsecure(const RegistryConfig& config, std::string_view domain) {
  const std::string host = HostOf(domain);
  if (IsLoopback(host)) return true;
  Address address;
  const bool is_ip = ParseAddress(host, &address);
  for (const std::string& entry : config.insecure) {
    if (entry == domain || entry == host) return true;
    Address network;
    int bits = 0;
    if (is_ip && ParseCidr(entry, &network, &bits) && InNetwork(address, network, bits)) {
      return true;
    }
  }
  return false;
}

std::vector<Endpoint> Endpoints(const RegistryConfig& config, std::string_view domain) {
  std::vector<Endpoint> endpoints;
  if (domain == "docker.io") {
    for (std::string url : config.mirrors) {
      while (url.ends_with('/')) url.pop_back();
      Endpoint mirror{.url = url, .tls = {}, .mirror = true};
      const size_t scheme = url.find("://");
      AddCertificates(config, url.substr(scheme + 3), &mirror.tls);
      endpoints.push_back(std::move(mirror));
    }
    endpoints.push_back({.url = std::string(kDockerHubEndpoint), .tls = {}, .mirror = false});
    return endpoints;
  }
  Endpoint https{.url = "https://" + std::string(domain), .tls = {}, .mirror = false};
  AddCertificates(config, domain, &https.tls);
  if (!IsInsecure(config, domain)) {
    endpoints.push_back(std::move(https));
    return endpoints;
  }
  https.tls.verify = false;
  endpoints.push_back(std::move(https));
  endpoints.push_back({.url = "http://" + std::string(domain), .tls = {}, .mirror = false});
  return endpoints;
}

}  // namespace berth::registry::client
