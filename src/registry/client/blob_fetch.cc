#include "registry/client/blob_fetch.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "base/log.h"
#include "registry/client/resume.h"

namespace berth::registry::client {
namespace {

bool IsPullable(std::string_view media_type) {
  return oci::IsManifestMediaType(media_type) || oci::IsIndexMediaType(media_type);
}

// Download is one blob's transfer state across resumes.
struct Download {
  const oci::Descriptor& descriptor;
  const OpenBlobSink& open;
  std::unique_ptr<BlobSink> sink;
  int64_t last_report = -1;
};

// StoreSink writes a blob into the content store alone.
class StoreSink : public BlobSink {
 public:
  StoreSink(image::store::BlobWriter writer, Digest digest)
      : writer_(std::move(writer)), digest_(std::move(digest)) {}
  Status Write(std::string_view data) override { return writer_.Write(data); }
  int64_t size() const override { return writer_.size(); }
  Status Commit() override {
    return writer_.Commit(digest_).map([](const auto&) {});
  }

 private:
  image::store::BlobWriter writer_;
  Digest digest_;
};

Status OpenSink(Download& d) {
  d.sink.reset();
  BERTH_ASSIGN_OR_RETURN(d.sink, d.open());
  return Ok();
}

// kReportStep is how many bytes pass between two progress reports of one blob.
constexpr int64_t kReportStep = 512 << 10;

Status Attempt(Session& session, Download& d, const BlobProgress& progress,
               const std::function<bool()>& stop) {
  const int64_t offset = d.sink ? d.sink->size() : 0;
  HttpRequest request;
  if (offset > 0) request.headers.emplace_back("Range", RangeHeaderValue(offset));
  request.on_start = [&](long status, const HttpHeaders& headers) -> Status {
    HttpResponse head{.status = status, .headers = headers, .body = {}, .url = {}};
    BERTH_ASSIGN_OR_RETURN(ResumeAction action, DecideResume(status, head.Header("Content-Range"),
                                                             offset, d.descriptor.size));
    if (action == ResumeAction::kRestart || !d.sink) return OpenSink(d);
    return Ok();
  };
  request.on_data = [&](std::string_view data) -> Status {
    if (stop && stop()) return Fail(ErrorKind::kCancelled, "cancelled");
    if (d.sink->size() + static_cast<int64_t>(data.size()) > d.descriptor.size) {
      return Fail(
          ErrorKind::kDataLoss,
          fmt::format("the registry sends more than the {} bytes of the blob", d.descriptor.size));
    }
    BERTH_TRY(d.sink->Write(data));
    const int64_t size = d.sink->size();
    if (progress && (size - d.last_report >= kReportStep || size == d.descriptor.size)) {
      d.last_report = size;
      return progress(size);
    }
    return Ok();
  };
  const std::string path =
      fmt::format("/v2/{}/blobs/{}", session.repository(), d.descriptor.digest.String());
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, session.Do(std::move(request), path));
  return CheckStatus(response, "fetch blob " + d.descriptor.digest.String());
}

}  // namespace

std::string MediaTypeOf(std::string_view content_type, std::string_view body) {
  std::string type(content_type.substr(0, content_type.find(';')));
  if (IsPullable(type)) return type;
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    if (auto it = json.find("mediaType"); it != json.end() && it->is_string()) {
      return it->get<std::string>();
    }
    if (json.contains("manifests")) return std::string(oci::kMediaTypeOciIndex);
    if (json.contains("config") && json.contains("layers")) {
      return std::string(oci::kMediaTypeOciManifest);
    }
  }
  return type;
}

Result<FetchedManifest> FetchManifest(Session& session, const std::string& reference) {
  HttpRequest request;
  request.headers.emplace_back("Accept", std::string(kManifestAccept));
  const std::string path = fmt::format("/v2/{}/manifests/{}", session.repository(), reference);
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, session.Do(std::move(request), path));
  BERTH_TRY(CheckStatus(response, "fetch manifest " + reference));
  FetchedManifest manifest;
  manifest.media_type = MediaTypeOf(response.Header("Content-Type").value_or(""), response.body);
  manifest.body = std::move(response.body);
  if (!IsPullable(manifest.media_type)) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("fetch manifest {}: unsupported media type {}", reference,
                            manifest.media_type));
  }
  manifest.digest = Digest::OfSha256(manifest.body);
  std::optional<std::string> expected;
  if (reference.starts_with("sha256:")) {
    expected = reference;
  } else if (std::optional<std::string> header = response.Header("Docker-Content-Digest")) {
    if (header->starts_with("sha256:")) expected = *header;
  }
  if (expected && *expected != manifest.digest.String()) {
    return Fail(ErrorKind::kDataLoss, fmt::format("fetch manifest {}: digest mismatch: got {}",
                                                  reference, manifest.digest.String()));
  }
  return manifest;
}

Status FetchBlobInto(Session& session, const oci::Descriptor& descriptor, const OpenBlobSink& open,
                     const BlobProgress& progress, const std::function<bool()>& stop) {
  Download d{.descriptor = descriptor, .open = open, .sink = {}};
  for (int attempt = 0;; ++attempt) {
    Status fetched = Attempt(session, d, progress, stop);
    if (fetched) break;
    // Only a broken transfer is resumed; the registry's refusals and our own errors stand.
    if (fetched.error().kind() != ErrorKind::kUnavailable || attempt >= kMaxResumes) {
      return fetched;
    }
    log::Info("pull: resuming blob {} at byte {}: {}", descriptor.digest.String(),
              d.sink ? d.sink->size() : 0, fetched.error().message());
  }
  if (!d.sink) BERTH_TRY(OpenSink(d));
  if (d.sink->size() != descriptor.size) {
    return Fail(ErrorKind::kDataLoss,
                fmt::format("fetch blob {}: got {} bytes, the manifest says {}",
                            descriptor.digest.String(), d.sink->size(), descriptor.size));
  }
  return Annotate(d.sink->Commit(), "fetch blob " + descriptor.digest.String());
}

Status FetchBlob(Session& session, image::store::ImageStore& store, image::store::Lease& lease,
                 const oci::Descriptor& descriptor, const BlobProgress& progress,
                 const std::function<bool()>& stop) {
  return FetchBlobInto(
      session, descriptor,
      [&]() -> Result<std::unique_ptr<BlobSink>> {
        BERTH_ASSIGN_OR_RETURN(image::store::BlobWriter writer, store.NewBlobWriter(lease));
        return std::make_unique<StoreSink>(std::move(writer), descriptor.digest);
      },
      progress, stop);
}

}  // namespace berth::registry::client
