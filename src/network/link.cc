#include "network/link.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <algorithm>

#include "base/file.h"
#include "base/scope_exit.h"
#include "network/netns.h"

namespace berth::network {
namespace {

Error NlError(int err, const std::string& what) {
  err = std::abs(err);
  ErrorKind kind = ErrorKind::kInternal;
  if (err == NLE_EXIST) kind = ErrorKind::kAlreadyExists;
  if (err == NLE_OBJ_NOTFOUND || err == NLE_NODEV) kind = ErrorKind::kNotFound;
  if (err == NLE_PERM) kind = ErrorKind::kPermissionDenied;
  return Error(kind, fmt::format("{}: {}", what, nl_geterror(err)));
}

// NlAddress is address/prefix as libnl's address object (released by the caller).
nl_addr* NlAddress(Ipv4 address, int prefix) {
  const uint32_t raw = htonl(address);
  nl_addr* out = nl_addr_build(AF_INET, &raw, sizeof(raw));
  if (out) nl_addr_set_prefixlen(out, prefix);
  return out;
}

}  // namespace

Result<Netlink> Netlink::Open() {
  nl_sock* socket = nl_socket_alloc();
  if (!socket) return Fail(ErrorKind::kResourceExhausted, "netlink: cannot allocate a socket");
  if (int err = nl_connect(socket, NETLINK_ROUTE); err < 0) {
    nl_socket_free(socket);
    return Fail(NlError(err, "netlink: connect"));
  }
  return Netlink(socket);
}

Netlink::~Netlink() {
  if (socket_) nl_socket_free(socket_);
}

Netlink::Netlink(Netlink&& other) noexcept : socket_(std::exchange(other.socket_, nullptr)) {}

Result<int> Netlink::IndexOf(const std::string& name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(socket_, 0, name.c_str(), &link); err < 0) {
    return Fail(NlError(err, "find interface " + name));
  }
  const int index = rtnl_link_get_ifindex(link);
  rtnl_link_put(link);
  return index;
}

Status Netlink::SetUp(const std::string& name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(socket_, 0, name.c_str(), &link); err < 0) {
    return Fail(NlError(err, "find interface " + name));
  }
  rtnl_link* change = rtnl_link_alloc();
  ScopeExit put([&] {
    rtnl_link_put(link);
    rtnl_link_put(change);
  });
  rtnl_link_set_flags(change, IFF_UP);
  if (int err = rtnl_link_change(socket_, link, change, 0); err < 0) {
    return Fail(NlError(err, "bring up " + name));
  }
  return Ok();
}

Status Netlink::AddAddress(const std::string& name, Ipv4 address, int prefix) {
  BERTH_ASSIGN_OR_RETURN(int index, IndexOf(name));
  rtnl_addr* addr = rtnl_addr_alloc();
  nl_addr* local = NlAddress(address, prefix);
  ScopeExit put([&] {
    rtnl_addr_put(addr);
    nl_addr_put(local);
  });
  rtnl_addr_set_ifindex(addr, index);
  rtnl_addr_set_local(addr, local);
  rtnl_addr_set_prefixlen(addr, prefix);
  if (int err = rtnl_addr_add(socket_, addr, 0); err < 0) {
    return Fail(
        NlError(err, fmt::format("add address {}/{} to {}", FormatIpv4(address), prefix, name)));
  }
  return Ok();
}

Status Netlink::AddDefaultRoute(const std::string& name, Ipv4 gateway) {
  BERTH_ASSIGN_OR_RETURN(int index, IndexOf(name));
  rtnl_route* route = rtnl_route_alloc();
  nl_addr* dst = NlAddress(0, 0);
  nl_addr* via = NlAddress(gateway, 32);
  ScopeExit put([&] {
    rtnl_route_put(route);
    nl_addr_put(dst);
    nl_addr_put(via);
  });
  rtnl_route_set_family(route, AF_INET);
  rtnl_route_set_table(route, RT_TABLE_MAIN);
  rtnl_route_set_type(route, RTN_UNICAST);
  rtnl_route_set_dst(route, dst);
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(hop, index);
  rtnl_route_nh_set_gateway(hop, via);
  rtnl_route_add_nexthop(route, hop);  // the route owns it
  if (int err = rtnl_route_add(socket_, route, NLM_F_CREATE); err < 0) {
    return Fail(NlError(err, "add the default route via " + FormatIpv4(gateway)));
  }
  return Ok();
}

Status Netlink::EnsureBridge(const std::string& name, Ipv4 address, int prefix) {
  if (int err = rtnl_link_bridge_add(socket_, name.c_str()); err < 0 && -err != NLE_EXIST) {
    return Fail(NlError(err, "create bridge " + name));
  }
  Status addressed = AddAddress(name, address, prefix);
  if (!addressed && addressed.error().kind() != ErrorKind::kAlreadyExists) return addressed;
  return SetUp(name);
}

Status Netlink::AddVeth(const VethSpec& spec) {
  BERTH_ASSIGN_OR_RETURN(int bridge, IndexOf(spec.bridge));
  rtnl_link* veth = rtnl_link_veth_alloc();
  if (!veth) return Fail(ErrorKind::kResourceExhausted, "netlink: cannot allocate a veth");
  ScopeExit put([&] { rtnl_link_veth_release(veth); });
  rtnl_link_set_name(veth, spec.host_name.c_str());
  rtnl_link_set_master(veth, bridge);
  rtnl_link_set_flags(veth, IFF_UP);
  rtnl_link* peer = rtnl_link_veth_get_peer(veth);
  rtnl_link_set_name(peer, spec.peer_name.c_str());
  rtnl_link_set_ns_fd(peer, spec.netns_fd);
  nl_addr* mac = nullptr;
  if (int err = nl_addr_parse(spec.peer_mac.c_str(), AF_LLC, &mac); err < 0) {
    rtnl_link_put(peer);
    return Fail(NlError(err, "parse MAC address " + spec.peer_mac));
  }
  rtnl_link_set_addr(peer, mac);
  nl_addr_put(mac);
  rtnl_link_put(peer);
  if (int err = rtnl_link_add(socket_, veth, NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return Fail(NlError(err, fmt::format("create veth {} on {}", spec.host_name, spec.bridge)));
  }
  return Ok();
}

Status Netlink::DeleteLink(const std::string& name) {
  rtnl_link* link = rtnl_link_alloc();
  ScopeExit put([&] { rtnl_link_put(link); });
  rtnl_link_set_name(link, name.c_str());
  if (int err = rtnl_link_delete(socket_, link); err < 0) {
    return Fail(NlError(err, "delete interface " + name));
  }
  return Ok();
}

Result<std::vector<std::string>> Netlink::LinksOfKind(const std::string& kind) {
  nl_cache* cache = nullptr;
  if (int err = rtnl_link_alloc_cache(socket_, AF_UNSPEC, &cache); err < 0) {
    return Fail(NlError(err, "list interfaces"));
  }
  ScopeExit free_cache([&] { nl_cache_free(cache); });
  std::vector<std::string> names;
  for (nl_object* object = nl_cache_get_first(cache); object; object = nl_cache_get_next(object)) {
    rtnl_link* link = reinterpret_cast<rtnl_link*>(object);
    const char* type = rtnl_link_get_type(link);
    if (type && kind == type) names.emplace_back(rtnl_link_get_name(link));
  }
  return names;
}

Status ConfigureEndpoint(const std::string& netns_path, const std::string& ifname, Ipv4 address,
                         int prefix, Ipv4 gateway) {
  return InNetns(netns_path, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Netlink netlink, Netlink::Open());
    BERTH_TRY(netlink.SetUp("lo"));
    BERTH_TRY(netlink.AddAddress(ifname, address, prefix));
    BERTH_TRY(netlink.SetUp(ifname));
    return ifname == "eth0" ? netlink.AddDefaultRoute(ifname, gateway) : Ok();
  });
}

Status SetUpLoopback(const std::string& netns_path) {
  return InNetns(netns_path, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Netlink netlink, Netlink::Open());
    return netlink.SetUp("lo");
  });
}

Status SetSysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  return WriteFile(path, value);
}

}  // namespace berth::network
