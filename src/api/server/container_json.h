// docker's JSON shapes of containers (moby api/swagger.yaml): ContainerInspectResponse for
// inspect and ContainerSummary for list, with docker's "Up 5 minutes" status words. Pure.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/containers.h"

namespace berth::api::server {

// HumanDuration is docker's (go-units) wording of a duration: "Less than a second", "3 seconds",
// "About a minute", "5 minutes", "About an hour", "2 hours", "3 days", "2 weeks", "4 months",
// "2 years".
std::string HumanDuration(std::chrono::seconds duration);

// StatusText is the Status column of `docker ps`: "Up 3 minutes", "Up 2 hours (Paused)",
// "Up 5 seconds (healthy)", "Up 1 second (health: starting)",
// "Exited (0) 5 seconds ago", "Restarting (1) 2 seconds ago", "Created", "Removal In Progress",
// "Dead".
std::string StatusText(const daemon::container::State& state,
                       std::chrono::system_clock::time_point now);

// NetworkSettings of inspect, its Networks (also in the list's summary) and the list's Ports.
nlohmann::ordered_json NetworkSettingsJson(const daemon::container::Record& record);
nlohmann::ordered_json NetworksJson(const daemon::container::Record& record);
nlohmann::ordered_json PortsSummaryJson(const daemon::container::Record& record);

nlohmann::ordered_json InspectJson(const daemon::ContainerView& view);
nlohmann::ordered_json SummaryJson(const daemon::ContainerView& view,
                                   std::chrono::system_clock::time_point now);

}  // namespace berth::api::server
