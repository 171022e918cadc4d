// The Engine API's routes over the daemon: each Add* registers one group of endpoints with
// docker's paths, parameters, status codes and JSON shapes (moby api/swagger.yaml). Handlers
// borrow the daemon, which must outlive the router.
#pragma once

#include "api/version/version.h"
#include "daemon/daemon.h"
#include "http/server.h"

namespace berth::api::server {

// /_ping (GET, HEAD), /version, /info, /system/df.
void AddSystemRoutes(http::Router& router, daemon::Daemon& daemon,
                     const version::EngineVersions& server);

// /images/json, /images/{name}/json, /images/{name}/history, /images/{name}/tag, DELETE
// /images/{name}, /images/load, /images/get, /images/{name}/get, /images/create (import from
// the request body), /images/prune.
void AddImageRoutes(http::Router& router, daemon::Daemon& daemon);

// GET /events: the stream of container and image events, with since, until and filters.
void AddEventRoutes(http::Router& router, daemon::Events& events);

// /volumes/create, GET /volumes, GET and DELETE /volumes/{name}, /volumes/prune.
void AddVolumeRoutes(http::Router& router, volume::Volumes& volumes);

// /containers/create, /containers/json, /containers/{id}/json, start, stop, restart, kill, wait,
// DELETE /containers/{id}, pause, unpause, rename, top, resize, update, export, /commit,
// /containers/prune, logs, attach, exec.
void AddContainerRoutes(http::Router& router, daemon::Daemon& daemon);
// The streaming ones (logs, attach) and exec (/containers/{id}/exec, /exec/{id}/start, json,
// resize); AddContainerRoutes adds them.
void AddContainerStreamRoutes(http::Router& router, daemon::Containers& containers);
// HEAD, GET and PUT /containers/{id}/archive (docker cp) and GET /containers/{id}/changes
// (docker diff); AddContainerRoutes adds them.
void AddContainerArchiveRoutes(http::Router& router, daemon::Containers& containers);
// GET /containers/{id}/stats (stream, one-shot); AddContainerRoutes adds it.
void AddContainerStatsRoutes(http::Router& router, daemon::Containers& containers);

// /networks (GET), /networks/create, /networks/{id} (GET, DELETE), /networks/prune,
// /networks/{id}/connect and disconnect.
void AddNetworkRoutes(http::Router& router, daemon::Daemon& daemon);

}  // namespace berth::api::server
