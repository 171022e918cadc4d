#include "api/server/registry_routes.h"

#include <fmt/format.h>

#include "api/server/routes.h"
#include "api/server/streams.h"
#include "api/types/json_message.h"
#include "oci/platform.h"
#include "registry/client/pull.h"

namespace berth::api::server {
namespace {

namespace rc = registry::client;
using http::Request;
using http::ResponseWriter;

Result<rc::Credentials> CredentialsOf(const Request& req) {
  return rc::DecodeRegistryAuth(req.Header("X-Registry-Auth").value_or(""));
}

// PullReference joins fromImage and tag as docker does: a tag that is a digest pins it, another
// tag replaces the name's, and a name without either gets "latest".
Result<image::Reference> PullReference(const Request& req) {
  const std::string from = req.Query("fromImage").value_or("");
  BERTH_ASSIGN_OR_RETURN(image::Reference ref, image::ParseNormalizedNamed(from));
  const std::string tag = req.Query("tag").value_or("");
  if (tag.find(':') != std::string::npos) {
    BERTH_ASSIGN_OR_RETURN(Digest digest, Annotate(Digest::Parse(tag), "invalid digest " + tag));
    ref.tag.clear();
    ref.digest = std::move(digest);
  } else if (!tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, image::ParseNormalizedNamed(ref.Name() + ":" + tag));
  } else if (ref.tag.empty() && !ref.digest) {
    ref.tag = std::string(image::kDefaultTag);
  }
  return ref;
}

nlohmann::ordered_json PullLine(const rc::PullEvent& event) {
  if (event.with_bar) {
    return types::ProgressMessage(event.id, event.status, event.current, event.total);
  }
  if (event.id.empty() || event.status.starts_with("Pulling from")) {
    return types::StatusMessage(event.status, event.id);
  }
  return types::ProgressMessage(event.id, event.status, 0, 0);
}

}  // namespace

Status PullImage(daemon::Daemon& daemon, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::Reference ref, PullReference(req));
  rc::PullOptions options{.registry = daemon.options().registry,
                          .credentials = {},
                          .platform = std::nullopt,
                          .concurrent_downloads = daemon.options().max_concurrent_downloads};
  BERTH_ASSIGN_OR_RETURN(options.credentials, CredentialsOf(req));
  if (const std::string platform = req.Query("platform").value_or(""); !platform.empty()) {
    BERTH_ASSIGN_OR_RETURN(options.platform, oci::ParsePlatform(platform));
  }
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<rc::Pull> pull,
                         rc::Pull::Resolve(daemon.images(), ref, std::move(options)));
  JsonStream stream(w);
  Result<rc::PullResult> pulled =
      pull->Run([&](const rc::PullEvent& event) { return stream.Send(PullLine(event)); });
  return stream.Finish(pulled ? Status(Ok()) : Status(Fail(pulled.error())));
}

}  // namespace berth::api::server
