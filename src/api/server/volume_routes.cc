// The volume endpoints: POST /volumes/create, GET /volumes (filters dangling, driver, label,
// name), GET /volumes/{name}, DELETE /volumes/{name} (force), POST /volumes/prune (anonymous
// volumes only from API 1.42 unless filtered all=true; label, label!). Adapters over
// volume::Volumes with docker's JSON shapes.
#include <regex.h>

#include <fmt/format.h>

#include <set>

#include "api/server/filters.h"
#include "api/server/routes.h"
#include "api/server/volume_json.h"
#include "api/version/version.h"
#include "image/snapshot/tree.h"
#include "image/store/image_views.h"

namespace berth::api::server {

nlohmann::ordered_json VolumeJson(const volume::Volume& v) {
  return {{"CreatedAt", v.created_at},
          {"Driver", v.driver},
          {"Labels", v.labels},
          {"Mountpoint", v.mountpoint},
          {"Name", v.name},
          {"Options", v.options},
          {"Scope", "local"}};
}

namespace {

using http::Request;
using http::ResponseWriter;
using nlohmann::ordered_json;
using volume::VolumeView;

Result<std::map<std::string, std::string>> StringMap(const nlohmann::json& body, const char* key) {
  std::map<std::string, std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_object()) {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("{}: expected an object", key));
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}.{}: expected a string, got {}", key, k, v.type_name()));
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

Status CreateVolume(volume::Volumes& volumes, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
  if (!body.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "volume config must be a JSON object");
  }
  for (const char* key : {"Name", "Driver"}) {
    if (body.contains(key) && !body[key].is_null() && !body[key].is_string()) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("{}: expected a string", key));
    }
  }
  auto text = [&](const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
  };
  BERTH_ASSIGN_OR_RETURN(auto options, StringMap(body, "DriverOpts"));
  BERTH_ASSIGN_OR_RETURN(auto labels, StringMap(body, "Labels"));
  BERTH_ASSIGN_OR_RETURN(volume::Volume v,
                         volumes.Create(text("Name"), text("Driver"), options, std::move(labels)));
  return w.SendJson(201, VolumeJson(v));
}

// Matches says whether a regular expression (POSIX extended, as close to Go's as libc has) finds
// a match in text; kInvalidArgument for a bad one.
Result<bool> Matches(const std::string& pattern, const std::string& text, const char* filter) {
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid filter '{}={}'", filter, pattern));
  }
  const bool found = regexec(&re, text.c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return found;
}

Result<bool> ParseBoolFilter(const std::string& key, const std::string& value) {
  if (value == "1" || value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "0" || value == "false" || value == "False" || value == "FALSE") return false;
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("invalid filter '{}={}': invalid boolean value", key, value));
}

// Selected applies GET /volumes' filters: every filter must hold, any of its values may.
Result<bool> Selected(const VolumeView& v, const image::store::Filters& filters) {
  static const std::set<std::string> kKeys = {"dangling", "driver", "label", "name"};
  for (const auto& [key, values] : filters) {
    if (!kKeys.contains(key)) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
    if (values.empty()) continue;
    if (key == "label") {
      if (!image::store::MatchLabels(values, v.volume.labels)) return false;
      continue;
    }
    bool any = false;
    for (const std::string& value : values) {
      if (key == "dangling") {
        BERTH_ASSIGN_OR_RETURN(bool dangling, ParseBoolFilter(key, value));
        any = any || dangling == v.users.empty();
      } else if (key == "driver") {
        any = any || value == v.volume.driver;
      } else {
        BERTH_ASSIGN_OR_RETURN(bool match, Matches(value, v.volume.name, "name"));
        any = any || match;
      }
    }
    if (!any) return false;
  }
  return true;
}

Status ListVolumes(volume::Volumes& volumes, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
  ordered_json list = ordered_json::array();
  for (const VolumeView& v : volumes.List()) {
    BERTH_ASSIGN_OR_RETURN(bool selected, Selected(v, filters));
    if (selected) list.push_back(VolumeJson(v.volume));
  }
  return w.SendJson(200, ordered_json{{"Volumes", list}, {"Warnings", nullptr}});
}

// PruneVolumes removes the unused volumes the filters select: anonymous ones only from API 1.42
// unless all=true, as docker does; label and label! as for images.
Status PruneVolumes(volume::Volumes& volumes, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::store::Filters filters, ParseFilters(req.Query("filters")));
  bool all = version::CompareApiVersions(req.api_version, "1.42") < 0;
  for (const auto& [key, values] : filters) {
    if (key == "all") {
      for (const std::string& value : values) {
        BERTH_ASSIGN_OR_RETURN(all, ParseBoolFilter(key, value));
      }
    } else if (key != "label" && key != "label!") {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
  }
  std::vector<std::string> deleted;
  int64_t reclaimed = 0;
  for (const VolumeView& v : volumes.List()) {
    if (!v.users.empty() || (!all && !v.volume.Anonymous())) continue;
    if (!image::store::MatchPruneLabels(filters, v.volume.labels)) continue;
    Result<image::snapshot::DiskUsage> usage = image::snapshot::MeasureTree(v.volume.mountpoint);
    // A container may have taken it meanwhile: then it stays.
    if (!volumes.Remove(v.volume.name, false)) continue;
    deleted.push_back(v.volume.name);
    if (usage) reclaimed += usage->bytes;
  }
  return w.SendJson(200, ordered_json{{"VolumesDeleted", deleted.empty() ? ordered_json(nullptr)
                                                                         : ordered_json(deleted)},
                                      {"SpaceReclaimed", reclaimed}});
}

}  // namespace

void AddVolumeRoutes(http::Router& router, volume::Volumes& volumes) {
  router.Add("POST", "/volumes/create",
             [&volumes](Request& req, ResponseWriter& w) { return CreateVolume(volumes, req, w); });
  router.Add("GET", "/volumes",
             [&volumes](Request& req, ResponseWriter& w) { return ListVolumes(volumes, req, w); });
  router.Add("POST", "/volumes/prune",
             [&volumes](Request& req, ResponseWriter& w) { return PruneVolumes(volumes, req, w); });
  router.Add("GET", "/volumes/{name}", [&volumes](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(VolumeView v, volumes.Get(req.params["name"]));
    return w.SendJson(200, VolumeJson(v.volume));
  });
  router.Add("DELETE", "/volumes/{name}", [&volumes](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(bool force, req.QueryBool("force"));
    BERTH_TRY(volumes.Remove(req.params["name"], force));
    return w.SendEmpty(204);
  });
}

}  // namespace berth::api::server
