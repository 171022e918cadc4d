// GET /events: docker's event stream, one JSON message a line, from the daemon's events.
#include "api/server/filters.h"
#include "api/server/routes.h"
#include "image/store/go_time.h"

namespace berth::api::server {
namespace {

using nlohmann::ordered_json;

ordered_json EventJson(const daemon::Event& e) {
  ordered_json out;
  // The fields of API 1.21 and before, which docker still sends for containers.
  if (e.type == "container") {
    out["status"] = e.action;
    out["id"] = e.id;
    auto image = e.attributes.find("image");
    if (image != e.attributes.end()) out["from"] = image->second;
  }
  out["Type"] = e.type;
  out["Action"] = e.action;
  out["Actor"] = {{"ID", e.id}, {"Attributes", e.attributes}};
  out["scope"] = "local";
  out["time"] = e.time_nano / 1000000000;
  out["timeNano"] = e.time_nano;
  return out;
}

Result<std::optional<std::chrono::system_clock::time_point>> TimeParam(const http::Request& req,
                                                                       std::string_view name) {
  const std::string value = req.Query(name).value_or("");
  if (value.empty()) return std::nullopt;
  BERTH_ASSIGN_OR_RETURN(auto t,
                         image::store::ParseFilterTime(value, std::chrono::system_clock::now()));
  return t;
}

}  // namespace

void AddEventRoutes(http::Router& router, daemon::Events& events) {
  router.Add("GET", "/events", [&events](http::Request& req, http::ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(auto since, TimeParam(req, "since"));
    BERTH_ASSIGN_OR_RETURN(auto until, TimeParam(req, "until"));
    BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
    BERTH_TRY(daemon::CheckEventFilters(filters));
    BERTH_TRY(w.BeginStream(200, "application/json"));
    return events.Stream(since, until, filters, [&](const daemon::Event& e) {
      return w.Write(EventJson(e).dump() + "\n");
    });
  });
}

}  // namespace berth::api::server
