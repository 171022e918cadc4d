// Bridges between HTTP bodies and the descriptor-based image store: a request body fed into a
// pipe that a loader reads, a writer's output sent as a chunked response, and the JSON message
// stream of long operations. Each bridge runs its copy on one thread of its own and joins it
// before returning. A JsonStream belongs to the handler's thread.
#pragma once

#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "http/server.h"
#include "image/store/image_store.h"

namespace berth::api::server {

// WithBodyFd runs consume with the read end of a pipe that the request body streams into. A body
// that ends early (the client went away) makes consume see a short stream; the body's own read
// error is returned when consume succeeded anyway.
Status WithBodyFd(http::Request& request, const std::function<Status(int fd)>& consume);

// StreamFd runs produce with the write end of a pipe and sends what it writes as a chunked
// response of content_type. The response begins with the first byte, so an error produce returns
// before writing anything is still an HTTP error; a later one closes the connection. headers,
// when given, is called (on the caller's thread) for the extra headers as the response begins.
Status StreamFd(http::ResponseWriter& writer, std::string_view content_type,
                const std::function<Status(int fd)>& produce,
                const std::function<http::Headers()>& headers = {});

// JsonStream sends JSON messages (api/types/json_message.h), one a line, as a chunked
// application/json response that begins with the first message.
class JsonStream {
 public:
  explicit JsonStream(http::ResponseWriter& writer) : writer_(writer) {}
  Status Send(const nlohmann::ordered_json& message);
  // Progress turns the store's progress events into progress messages.
  image::store::ProgressSink Progress();
  // Finish ends the stream; a failure of the work is sent as an error message when the stream
  // has begun (the status is then already 200), else returned to become an HTTP error.
  Status Finish(const Status& work);

 private:
  http::ResponseWriter& writer_;
};

}  // namespace berth::api::server
