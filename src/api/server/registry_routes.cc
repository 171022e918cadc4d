#include "api/server/registry_routes.h"

#include <fmt/format.h>

#include "api/server/routes.h"
#include "api/server/streams.h"
#include "api/types/json_message.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"
#include "registry/client/blob_fetch.h"
#include "registry/client/pull.h"
#include "registry/client/push.h"
#include "registry/client/session.h"

namespace berth::api::server {
namespace {

namespace rc = registry::client;
using http::Request;
using http::ResponseWriter;

Result<rc::Credentials> CredentialsOf(const Request& req) {
  return rc::DecodeRegistryAuth(req.Header("X-Registry-Auth").value_or(""));
}

// PullReference joins fromImage and tag as docker does: a tag that is a digest pins it, another
// tag replaces the name's, and a name without either (a trailing ':' dropped, as `docker pull -a`
// may send) stands for every tag of the repository: neither tag nor digest is set then.
Result<image::Reference> PullReference(const Request& req) {
  std::string from = req.Query("fromImage").value_or("");
  if (from.ends_with(':')) from.pop_back();
  BERTH_ASSIGN_OR_RETURN(image::Reference ref, image::ParseNormalizedNamed(from));
  const std::string tag = req.Query("tag").value_or("");
  if (tag.find(':') != std::string::npos) {
    BERTH_ASSIGN_OR_RETURN(Digest digest, Annotate(Digest::Parse(tag), "invalid digest " + tag));
    ref.tag.clear();
    ref.digest = std::move(digest);
  } else if (!tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, image::ParseNormalizedNamed(ref.Name() + ":" + tag));
  }
  return ref;
}

nlohmann::ordered_json PlatformJson(const oci::Platform& platform) {
  nlohmann::ordered_json json = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) json["variant"] = platform.variant;
  return json;
}

nlohmann::ordered_json PullLine(const rc::ProgressLine& event) {
  if (event.with_bar) {
    return types::ProgressMessage(event.id, event.status, event.current, event.total);
  }
  if (event.id.empty() || event.status.starts_with("Pulling from")) {
    return types::StatusMessage(event.status, event.id);
  }
  return types::ProgressMessage(event.id, event.status, 0, 0);
}

nlohmann::ordered_json PushLine(const rc::ProgressLine& line) {
  if (line.status.starts_with("The push refers")) return types::StatusMessage(line.status);
  return PullLine(line);
}

// ServerDomain turns a login's server address ("https://index.docker.io/v1/", "host:5000",
// "http://host:5000/") into a reference domain.
std::string ServerDomain(std::string address) {
  if (const size_t scheme = address.find("://"); scheme != std::string::npos) {
    address.erase(0, scheme + 3);
  }
  address = address.substr(0, address.find('/'));
  if (address.empty() || address == "index.docker.io" || address == "registry-1.docker.io") {
    return std::string(image::kDefaultDomain);
  }
  return address;
}

Status Login(daemon::Daemon& daemon, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
  if (!body.is_object()) return Fail(ErrorKind::kInvalidArgument, "auth: expected a JSON object");
  rc::Credentials credentials{.username = body.value("username", ""),
                              .password = body.value("password", ""),
                              .identity_token = body.value("identitytoken", ""),
                              .registry_token = body.value("registrytoken", ""),
                              .server_address = body.value("serveraddress", "")};
  const std::string domain = ServerDomain(credentials.server_address);
  rc::Session session(rc::Endpoints(daemon.options().registry, domain), "", credentials, "pull");
  BERTH_ASSIGN_OR_RETURN(rc::HttpResponse response, session.Do({}, "/v2/"));
  if (response.status == 401) {
    return Fail(ErrorKind::kUnauthenticated,
                fmt::format("login attempt to {}/v2/ failed with status: 401 Unauthorized",
                            session.BaseUrl()));
  }
  BERTH_TRY(rc::CheckStatus(response, "login to " + session.BaseUrl()));
  return w.SendJson(200,
                    nlohmann::ordered_json{{"Status", "Login Succeeded"}, {"IdentityToken", ""}});
}

Status PushImage(daemon::Daemon& daemon, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::Reference name, image::ParseNormalizedNamed(req.params["name"]));
  if (const std::string tag = req.Query("tag").value_or(""); !tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(name, image::ParseNormalizedNamed(name.Name() + ":" + tag));
  }
  rc::PushOptions options{.registry = daemon.options().registry,
                          .credentials = {},
                          .concurrent_uploads = daemon.options().max_concurrent_uploads,
                          .chunk_size = daemon.options().upload_chunk_size};
  BERTH_ASSIGN_OR_RETURN(options.credentials, CredentialsOf(req));
  JsonStream stream(w);
  Result<std::vector<rc::PushedTag>> pushed =
      rc::Push(daemon.images(), name, options,
               [&](const rc::ProgressLine& line) { return stream.Send(PushLine(line)); });
  if (pushed) {
    for (const rc::PushedTag& tag : *pushed) {
      BERTH_TRY(stream.Send(nlohmann::ordered_json{
          {"progressDetail", nlohmann::ordered_json::object()},
          {"aux", {{"Tag", tag.tag}, {"Digest", tag.digest.String()}, {"Size", tag.size}}}}));
    }
  }
  return stream.Finish(pushed ? Status(Ok()) : Status(Fail(pushed.error())));
}

// Distribution is GET /distribution/{name}/json: the descriptor the registry resolves name to,
// and the platforms it offers.
Status Distribution(daemon::Daemon& daemon, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(image::Reference ref, image::ParseReference(req.params["name"]));
  BERTH_ASSIGN_OR_RETURN(rc::Credentials credentials, CredentialsOf(req));
  rc::Session session(rc::Endpoints(daemon.options().registry, ref.domain), ref.path, credentials,
                      "pull");
  BERTH_ASSIGN_OR_RETURN(rc::FetchedManifest manifest,
                         rc::FetchManifest(session, ref.digest ? ref.digest->String() : ref.tag));
  nlohmann::ordered_json platforms = nlohmann::ordered_json::array();
  if (oci::IsIndexMediaType(manifest.media_type)) {
    BERTH_ASSIGN_OR_RETURN(oci::Index index, oci::DecodeIndex(manifest.body));
    for (const oci::Descriptor& entry : index.manifests) {
      if (entry.platform) platforms.push_back(PlatformJson(*entry.platform));
    }
  } else {
    BERTH_ASSIGN_OR_RETURN(oci::Manifest image_manifest, oci::DecodeManifest(manifest.body));
    BERTH_ASSIGN_OR_RETURN(rc::HttpResponse config,
                           session.Do({}, fmt::format("/v2/{}/blobs/{}", ref.path,
                                                      image_manifest.config.digest.String())));
    BERTH_TRY(rc::CheckStatus(config, "fetch the config"));
    BERTH_ASSIGN_OR_RETURN(oci::ImageConfig image_config, oci::DecodeImageConfig(config.body));
    platforms.push_back(PlatformJson(oci::PlatformOf(image_config)));
  }
  return w.SendJson(200, nlohmann::ordered_json{{"Descriptor",
                                                 {{"mediaType", manifest.media_type},
                                                  {"digest", manifest.digest.String()},
                                                  {"size", manifest.body.size()}}},
                                                {"Platforms", platforms}});
}

}  // namespace

void AddRegistryRoutes(http::Router& router, daemon::Daemon& daemon) {
  router.Add("POST", "/auth",
             [&daemon](Request& req, ResponseWriter& w) { return Login(daemon, req, w); });
  router.Add("POST", "/images/{name:.*}/push",
             [&daemon](Request& req, ResponseWriter& w) { return PushImage(daemon, req, w); });
  router.Add("GET", "/distribution/{name:.*}/json",
             [&daemon](Request& req, ResponseWriter& w) { return Distribution(daemon, req, w); });
}

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
  // Resolved before the stream starts, so that an unknown name is an HTTP error.
  std::vector<std::unique_ptr<rc::Pull>> pulls;
  const bool all_tags = ref.tag.empty() && !ref.digest;
  if (all_tags) {
    BERTH_ASSIGN_OR_RETURN(pulls, rc::Pull::ResolveAll(daemon.images(), ref, options));
  } else {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<rc::Pull> pull,
                           rc::Pull::Resolve(daemon.images(), ref, std::move(options)));
    pulls.push_back(std::move(pull));
  }
  JsonStream stream(w);
  const rc::LineSink sink = [&](const rc::ProgressLine& event) {
    return stream.Send(PullLine(event));
  };
  Status pulled = all_tags ? rc::Pull::RunAll(pulls, ref, sink).map([](bool) {})
                           : pulls.front()->Run(sink).map([](const rc::PullResult&) {});
  return stream.Finish(pulled);
}

}  // namespace berth::api::server
