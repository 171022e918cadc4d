#include "network/dns/resolv_conf.h"

#include "base/strings.h"

namespace berth::network::dns {
namespace {

std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at < line.size()) {
    size_t start = line.find_first_not_of(" \t\r", at);
    if (start == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t\r", start);
    if (end == std::string_view::npos) end = line.size();
    words.emplace_back(line.substr(start, end - start));
    at = end;
  }
  return words;
}

bool IsLoopback(const IpAddress& address) {
  if (!address.v6) return address.bytes[0] == 127;
  return address == IpAddress::Parse("::1").value();
}

// Text is a resolv.conf of these lines.
std::string Text(const std::vector<IpAddress>& nameservers, const std::vector<std::string>& search,
                 const std::vector<std::string>& options) {
  std::string text;
  for (const IpAddress& address : nameservers) text += "nameserver " + address.ToString() + "\n";
  if (!search.empty()) text += "search " + Join(search, " ") + "\n";
  if (!options.empty()) text += "options " + Join(options, " ") + "\n";
  return text;
}

}  // namespace

ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf conf;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    std::vector<std::string> words = Words(line.substr(0, line.find_first_of("#;")));
    if (words.size() < 2) continue;
    if (words[0] == "nameserver") {
      if (Result<IpAddress> address = IpAddress::Parse(words[1])) {
        conf.nameservers.push_back(*address);
      }
    } else if (words[0] == "search" || words[0] == "domain") {
      conf.search.assign(words.begin() + 1, words.end());
    } else if (words[0] == "options") {
      conf.options.insert(conf.options.end(), words.begin() + 1, words.end());
    }
  }
  return conf;
}

std::string ContainerResolvConf(const ResolvConf& host) {
  std::vector<std::string> options = host.options;
  bool has_ndots = false;
  for (const std::string& option : options) has_ndots |= option.starts_with("ndots:");
  if (!has_ndots) options.push_back("ndots:0");
  return Text({EmbeddedServerAddress()}, host.search, options);
}

std::string BridgeResolvConf(const ResolvConf& host, const std::vector<IpAddress>& servers) {
  std::vector<IpAddress> nameservers = servers;
  if (nameservers.empty()) {
    for (const IpAddress& address : host.nameservers) {
      if (!IsLoopback(address)) nameservers.push_back(address);
    }
  }
  if (nameservers.empty()) nameservers = {IpAddress::V4(8, 8, 8, 8), IpAddress::V4(8, 8, 4, 4)};
  return Text(nameservers, host.search, host.options);
}

}  // namespace berth::network::dns
