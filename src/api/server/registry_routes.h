// The registry endpoints over registry/client: pulling (POST /images/create?fromImage=, which
// image_routes.cc hands over), and the routes AddRegistryRoutes registers (routes.h). Credentials
// come in the X-Registry-Auth header.
#pragma once

#include "daemon/daemon.h"
#include "http/server.h"

namespace berth::api::server {

// PullImage serves POST /images/create?fromImage=NAME[&tag=TAG|DIGEST][&platform=P]: docker's
// JSON progress stream; an unknown repository or tag is an HTTP error before the stream. Without
// a tag or digest (in fromImage or tag) every tag of the repository is pulled, as docker does
// for `docker pull --all-tags`.
Status PullImage(daemon::Daemon& daemon, http::Request& req, http::ResponseWriter& w);

// POST /auth (a login checked against the registry), POST /images/{name}/push (docker's push
// stream) and GET /distribution/{name}/json.
void AddRegistryRoutes(http::Router& router, daemon::Daemon& daemon);

}  // namespace berth::api::server
