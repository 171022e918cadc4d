#include "network/firewall.h"

#include <fmt/format.h>
#include <nftables/libnftables.h>

#include "base/strings.h"

namespace berth::network {

std::string TableCommands() {
  // "add" then "delete" so that the delete never fails on a table that is not there yet.
  return fmt::format(R"(add table ip {0}
delete table ip {0}
table ip {0} {{
  set nat_subnets {{ type ipv4_addr; flags interval; }}
  set bridges {{ type ifname; }}
  set internal {{ type ifname; }}
  set same {{ type ifname . ifname; }}
  map ports_any {{ type inet_proto . inet_service : ipv4_addr . inet_service; }}
  map ports_ip {{ type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }}
  chain publish {{
    dnat to ip daddr . meta l4proto . th dport map @ports_ip
    dnat to meta l4proto . th dport map @ports_any
  }}
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump publish
  }}
  chain output {{
    type nat hook output priority -100; policy accept;
    fib daddr type local jump publish
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat ip saddr 127.0.0.0/8 masquerade
    ct status dnat ip saddr @nat_subnets oifname @bridges masquerade
    ip saddr @nat_subnets oifname != @bridges masquerade
  }}
  chain forward {{
    type filter hook forward priority filter; policy accept;
    iifname . oifname @same accept
    iifname @internal drop
    oifname @internal drop
    iifname @bridges oifname @bridges drop
  }}
}}
)",
                     kTable);
}

std::string NetworkCommands(const FirewallNetwork& n, bool add) {
  const char* verb = add ? "add" : "delete";
  std::string out = fmt::format(
      "{0} element ip {1} bridges {{ \"{2}\" }}\n"
      "{0} element ip {1} same {{ \"{2}\" . \"{2}\" }}\n",
      verb, kTable, n.bridge);
  if (n.internal) {
    out += fmt::format("{} element ip {} internal {{ \"{}\" }}\n", verb, kTable, n.bridge);
  } else {
    out += fmt::format("{} element ip {} nat_subnets {{ {} }}\n", verb, kTable, n.subnet.String());
  }
  return out;
}

std::string PortCommands(const PortMapping& m, Ipv4 container_ip, bool add) {
  const std::string key =
      m.host_ip == 0 ? fmt::format("{} . {}", m.proto, m.host_port)
                     : fmt::format("{} . {} . {}", FormatIpv4(m.host_ip), m.proto, m.host_port);
  const char* map = m.host_ip == 0 ? "ports_any" : "ports_ip";
  if (!add) return fmt::format("delete element ip {} {} {{ {} }}\n", kTable, map, key);
  return fmt::format("add element ip {} {} {{ {} : {} . {} }}\n", kTable, map, key,
                     FormatIpv4(container_ip), m.container_port);
}

Result<std::unique_ptr<Firewall>> Firewall::Open() {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return Fail(ErrorKind::kInternal, "nftables: cannot create a context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  return std::unique_ptr<Firewall>(new Firewall(ctx));
}

Firewall::~Firewall() { nft_ctx_free(ctx_); }

Status Firewall::Run(const std::string& commands) {
  std::lock_guard lock(mu_);
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    const char* error = nft_ctx_get_error_buffer(ctx_);
    return Fail(ErrorKind::kInternal,
                fmt::format("nftables: {}", TrimSpace(error ? error : "failed")));
  }
  return Ok();
}

}  // namespace berth::network
