#include "api/server/streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <vector>

#include "api/types/json_message.h"
#include "base/piped.h"

namespace berth::api::server {
namespace {

constexpr size_t kBuffer = 256 << 10;

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write pipe"));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

// PumpBody copies the request body into fd. A consumer that stopped reading (EPIPE) is not an
// error here: the rest of the body is dropped, and the consumer reports why it stopped.
Status PumpBody(http::BodyReader& body, int fd) {
  std::vector<char> buffer(kBuffer);
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n,
                           Annotate(body.Read(buffer.data(), buffer.size()), "read request body"));
    if (n == 0 || !WriteAll(fd, buffer.data(), n)) return Ok();
  }
}

}  // namespace

Status WithBodyFd(http::Request& request, const std::function<Status(int fd)>& consume) {
  BERTH_ASSIGN_OR_RETURN(PipedResult piped,
                         RunPiped([&](int fd) { return PumpBody(*request.body, fd); }, consume));
  BERTH_TRY(piped.consumed);
  return piped.produced;
}

Status StreamFd(http::ResponseWriter& writer, std::string_view content_type,
                const std::function<Status(int fd)>& produce,
                const std::function<http::Headers()>& headers) {
  auto begin = [&] {
    return writer.BeginStream(200, content_type, headers ? headers() : http::Headers{});
  };
  BERTH_ASSIGN_OR_RETURN(
      PipedResult piped, RunPiped(produce, [&](int fd) -> Status {
        std::vector<char> buffer(kBuffer);
        for (;;) {
          ssize_t n = read(fd, buffer.data(), buffer.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return Fail(ErrnoNow("read pipe"));
          if (n == 0) return Ok();
          if (!writer.started()) BERTH_TRY(begin());
          // A failed write (the client went away) ends the producer with EPIPE.
          BERTH_TRY(writer.Write(std::string_view(buffer.data(), static_cast<size_t>(n))));
        }
      }));
  BERTH_TRY(piped.produced);
  BERTH_TRY(piped.consumed);
  if (!writer.started()) BERTH_TRY(begin());
  return writer.End();
}

Status JsonStream::Send(const nlohmann::ordered_json& message) {
  if (!writer_.started()) BERTH_TRY(writer_.BeginStream(200, "application/json"));
  return writer_.Write(message.dump() + "\r\n");
}

image::store::ProgressSink JsonStream::Progress() {
  return [this](const image::store::ProgressEvent& event) {
    return Send(types::ProgressMessage(event.id, image::store::ProgressActionName(event.action),
                                       event.current, event.total));
  };
}

Status JsonStream::Finish(const Status& work) {
  if (!work && !writer_.started()) return work;
  if (!work) BERTH_TRY(Send(types::ErrorMessage(work.error().message())));
  if (!writer_.started()) BERTH_TRY(writer_.BeginStream(200, "application/json"));
  return writer_.End();
}

}  // namespace berth::api::server
