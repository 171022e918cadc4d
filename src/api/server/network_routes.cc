// The network endpoints: create, list, inspect, remove, prune, connect and disconnect, with
// docker's JSON shapes, over daemon::Networks and daemon::Containers.
#include <fmt/format.h>

#include "api/server/filters.h"
#include "api/server/routes.h"
#include "image/store/image_views.h"

namespace berth::api::server {
namespace {

using daemon::NetworkRecord;
using http::Request;
using http::ResponseWriter;
using nlohmann::ordered_json;

ordered_json NetworkJson(const NetworkRecord& r, const std::vector<daemon::EndpointView>& eps) {
  ordered_json config = ordered_json::array();
  for (const daemon::IpamConfig& c : r.ipam) config.push_back(daemon::IpamConfigJson(c));
  ordered_json containers = ordered_json::object();
  for (const daemon::EndpointView& e : eps) {
    containers[e.container_id] = {{"Name", e.name},
                                  {"EndpointID", e.endpoint_id},
                                  {"MacAddress", e.mac_address},
                                  {"IPv4Address", e.ipv4_address},
                                  {"IPv6Address", ""}};
  }
  return {{"Name", r.name},
          {"Id", r.id},
          {"Created", r.created},
          {"Scope", "local"},
          {"Driver", r.driver},
          {"EnableIPv6", r.enable_ipv6},
          {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", config}}},
          {"Internal", r.internal},
          {"Attachable", r.attachable},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", r.options},
          {"Labels", r.labels}};
}

Result<bool> Selected(const NetworkRecord& r, const image::store::Filters& filters) {
  for (const auto& [key, values] : filters) {
    if (values.empty()) continue;
    bool any = false;
    for (const std::string& value : values) {
      if (key == "name") {
        any = any || r.name.find(value) != std::string::npos;
      } else if (key == "id") {
        any = any || r.id.starts_with(value);
      } else if (key == "driver") {
        any = any || r.driver == value;
      } else if (key == "type") {
        if (value != "custom" && value != "builtin") {
          return Fail(ErrorKind::kInvalidArgument, "invalid filter: 'type'='" + value + "'");
        }
        const bool builtin = r.name == "bridge" || r.name == "host" || r.name == "none";
        any = any || (value == "builtin") == builtin;
      } else if (key == "scope") {
        any = any || value == "local";
      } else if (key == "label") {
        any = image::store::MatchLabels(values, r.labels);
        break;
      } else {
        return Fail(ErrorKind::kInvalidArgument, "invalid filter '" + key + "'");
      }
    }
    if (!any) return false;
  }
  return true;
}

Status ListNetworks(daemon::Networks& networks, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
  ordered_json out = ordered_json::array();
  for (const NetworkRecord& r : networks.List()) {
    BERTH_ASSIGN_OR_RETURN(bool selected, Selected(r, filters));
    if (selected) out.push_back(NetworkJson(r, networks.Endpoints(r.id)));
  }
  return w.SendJson(200, out);
}

// EndpointBody reads connect's and disconnect's body: the container and, for connect, its
// EndpointConfig.
Result<std::pair<std::string, nlohmann::json>> EndpointBody(Request& req) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
  if (!body.is_object() || !body.contains("Container") || !body["Container"].is_string()) {
    return Fail(ErrorKind::kInvalidArgument, "Container: a container id or name is required");
  }
  return std::pair{body["Container"].get<std::string>(),
                   body.value("EndpointConfig", nlohmann::json())};
}

}  // namespace

void AddNetworkRoutes(http::Router& router, daemon::Daemon& daemon) {
  daemon::Networks& n = daemon.networks();
  daemon::Containers& c = daemon.containers();
  router.Add("POST", "/networks/create", [&n](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
    if (!body.is_object()) {
      return Fail(ErrorKind::kInvalidArgument, "network config must be a JSON object");
    }
    BERTH_ASSIGN_OR_RETURN(daemon::NetworkCreateRequest request,
                           daemon::DecodeNetworkCreateRequest(body));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord r, n.Create(request));
    return w.SendJson(201, ordered_json{{"Id", r.id}, {"Warning", ""}});
  });
  router.Add("GET", "/networks",
             [&n](Request& req, ResponseWriter& w) { return ListNetworks(n, req, w); });
  router.Add("GET", "/networks/{id}", [&n](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(NetworkRecord r, n.Find(req.params["id"]));
    return w.SendJson(200, NetworkJson(r, n.Endpoints(r.id)));
  });
  router.Add("DELETE", "/networks/{id}", [&n](Request& req, ResponseWriter& w) -> Status {
    BERTH_TRY(n.Remove(req.params["id"]));
    return w.SendEmpty(204);
  });
  router.Add("POST", "/networks/prune", [&n](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> removed, n.Prune(filters));
    return w.SendJson(200, ordered_json{{"NetworksDeleted", removed}});
  });
  router.Add("POST", "/networks/{id}/connect", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto body, EndpointBody(req));
    BERTH_ASSIGN_OR_RETURN(daemon::container::EndpointConfig config,
                           daemon::container::DecodeEndpointConfig(body.second, "EndpointConfig"));
    BERTH_TRY(c.ConnectNetwork(body.first, req.params["id"], config));
    return w.SendEmpty(200);
  });
  router.Add("POST", "/networks/{id}/disconnect", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto body, EndpointBody(req));
    BERTH_TRY(c.DisconnectNetwork(body.first, req.params["id"]));
    return w.SendEmpty(200);
  });
}

}  // namespace berth::api::server
