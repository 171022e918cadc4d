// The container endpoints that stream: logs (chunked) and attach (a hijacked connection relayed
// to the container's shim). Without a tty both carry docker's 8-byte stream headers; with one,
// the raw bytes.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "api/http/version.h"
#include "api/server/routes.h"
#include "base/strings.h"
#include "image/store/go_time.h"
#include "shim/protocol.h"

namespace berth::api::server {
namespace {

using daemon::Containers;
using http::Request;
using http::ResponseWriter;

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write to the client"));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

// The bytes of one log entry on the wire.
std::string LogBytes(const daemon::container::LogEntry& e, bool tty, bool timestamps) {
  std::string text = timestamps ? e.time + " " + e.text : e.text;
  if (tty) return text;
  return shim::EncodeFrame(e.stream == 2 ? shim::Stream::kStderr : shim::Stream::kStdout, text);
}

Result<daemon::container::LogQuery> LogQueryOf(const Request& req, bool logs_endpoint) {
  daemon::container::LogQuery q;
  BERTH_ASSIGN_OR_RETURN(q.stdout_stream, req.QueryBool("stdout"));
  BERTH_ASSIGN_OR_RETURN(q.stderr_stream, req.QueryBool("stderr"));
  if (logs_endpoint && !q.stdout_stream && !q.stderr_stream) {
    return Fail(ErrorKind::kInvalidArgument, "Bad parameters: you must choose at least one stream");
  }
  if (!logs_endpoint) return q;
  BERTH_ASSIGN_OR_RETURN(q.follow, req.QueryBool("follow"));
  const std::string tail = req.Query("tail").value_or("all");
  if (!tail.empty() && tail != "all") {
    Result<int64_t> n = ParseInt64(tail);
    // docker reads a negative or malformed tail as "all".
    if (n && *n >= 0) q.tail = static_cast<size_t>(*n);
  }
  const auto now = std::chrono::system_clock::now();
  for (auto [name, field] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    const std::string value = req.Query(name).value_or("");
    if (value.empty() || value == "0") continue;
    BERTH_ASSIGN_OR_RETURN(*field, image::store::ParseFilterTime(value, now));
  }
  return q;
}

// The multiplexed content type of API 1.42 and later; older clients get docker's raw-stream.
std::string StreamContentType(const Request& req, bool tty) {
  if (!tty && http::CompareApiVersions(req.api_version, "1.42") >= 0) {
    return "application/vnd.docker.multiplexed-stream";
  }
  return "application/vnd.docker.raw-stream";
}

Status Logs(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(daemon::ContainerView view, containers.Inspect(req.params["id"]));
  BERTH_ASSIGN_OR_RETURN(daemon::container::LogQuery query, LogQueryOf(req, true));
  BERTH_ASSIGN_OR_RETURN(bool timestamps, req.QueryBool("timestamps"));
  const bool tty = view.record.config.tty;
  BERTH_TRY(w.BeginStream(200, StreamContentType(req, tty)));
  return containers.Logs(view.record.id, query, [&](const daemon::container::LogEntry& e) {
    return w.Write(LogBytes(e, tty, timestamps));
  });
}

// DetachKeys reads docker's --detach-keys: "ctrl-p,ctrl-q" (the default), letters, "ctrl-@",
// "ctrl-[" ... as the bytes they send.
Result<std::string> DetachKeys(std::string_view spec) {
  if (spec.empty()) spec = "ctrl-p,ctrl-q";
  std::string keys;
  for (const std::string& key : Split(spec, ',')) {
    if (key.size() == 1) {
      keys.push_back(key[0]);
    } else if (key.size() == 6 && key.starts_with("ctrl-")) {
      const char c = key[5];
      if (c >= 'a' && c <= 'z') {
        keys.push_back(static_cast<char>(c - 'a' + 1));
      } else if (c >= '@' && c <= '_') {
        keys.push_back(static_cast<char>(c - '@'));
      } else {
        return Fail(ErrorKind::kInvalidArgument,
                    "Invalid detach keys (" + std::string(spec) + ") provided");
      }
    } else {
      return Fail(ErrorKind::kInvalidArgument,
                  "Invalid detach keys (" + std::string(spec) + ") provided");
    }
  }
  return keys;
}

// CopyStdin copies the client's input to the container until the client ends it (then the
// container's stdin is ended too) or types the detach keys (then the attach ends, the container
// runs on). Returns whether the client detached.
bool CopyStdin(int client, int shim, const std::string& detach_keys) {
  char buffer[4096];
  size_t matched = 0;
  while (true) {
    ssize_t n = read(client, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string data(buffer, static_cast<size_t>(n));
    std::string out;
    for (char c : data) {
      if (!detach_keys.empty() && c == detach_keys[matched]) {
        if (++matched == detach_keys.size()) {
          (void)WriteAll(shim, out);
          return true;
        }
        continue;
      }
      out.append(detach_keys.substr(0, matched));  // a partial match was input after all
      matched = 0;
      out.push_back(c);
    }
    if (!WriteAll(shim, out)) break;
  }
  shutdown(shim, SHUT_WR);
  return false;
}

// CopyOutput sends the container's frames to the client: as they are without a tty, their
// payloads with one. Returns when the container's streams end or the client goes away.
void CopyOutput(int shim_fd, int client, bool tty) {
  shim::FrameReader frames;
  char buffer[64 << 10];
  while (true) {
    ssize_t n = read(shim_fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!tty) {
      if (!WriteAll(client, std::string_view(buffer, static_cast<size_t>(n)))) return;
      continue;
    }
    frames.Feed(std::string_view(buffer, static_cast<size_t>(n)));
    while (true) {
      Result<std::optional<shim::Frame>> frame = frames.Next();
      if (!frame) return;
      if (!*frame) break;
      if (!WriteAll(client, (*frame)->payload)) return;
    }
  }
}

Status Attach(Containers& containers, Request& req, ResponseWriter& w) {
  BERTH_ASSIGN_OR_RETURN(daemon::ContainerView view, containers.Inspect(req.params["id"]));
  BERTH_ASSIGN_OR_RETURN(daemon::container::LogQuery query, LogQueryOf(req, false));
  BERTH_ASSIGN_OR_RETURN(bool use_stdin, req.QueryBool("stdin"));
  BERTH_ASSIGN_OR_RETURN(bool stream, req.QueryBool("stream"));
  BERTH_ASSIGN_OR_RETURN(bool logs, req.QueryBool("logs"));
  BERTH_ASSIGN_OR_RETURN(std::string detach_keys, DetachKeys(req.Query("detachKeys").value_or("")));
  const bool tty = view.record.config.tty;
  std::string early;
  BERTH_ASSIGN_OR_RETURN(UniqueFd client, w.Hijack(StreamContentType(req, tty), &early));
  if (logs) {
    Status replayed = containers.Logs(view.record.id, query, [&](const auto& e) {
      return WriteAll(client.get(), LogBytes(e, tty, false));
    });
    if (!replayed) return Ok();  // the client went away
  }
  if (!stream) return Ok();
  daemon::AttachStreams streams{.stdin_stream = use_stdin && view.record.config.open_stdin,
                                .stdout_stream = query.stdout_stream,
                                .stderr_stream = query.stderr_stream};
  Result<std::pair<UniqueFd, bool>> attached = containers.Attach(view.record.id, streams);
  if (!attached) {
    (void)WriteAll(client.get(), "Error: " + attached.error().message() + "\n");
    return Ok();
  }
  const int shim_fd = attached->first.get();
  std::thread input;
  if (streams.stdin_stream) {
    if (!early.empty()) (void)WriteAll(shim_fd, early);
    input = std::thread([&] {
      if (CopyStdin(client.get(), shim_fd, detach_keys)) {
        shutdown(shim_fd, SHUT_RDWR);  // detached: end the output copy too
      }
    });
  }
  CopyOutput(shim_fd, client.get(), tty);
  shutdown(client.get(), SHUT_RDWR);
  if (input.joinable()) input.join();
  return Ok();
}

}  // namespace

void AddContainerStreamRoutes(http::Router& router, Containers& c) {
  router.Add("GET", "/containers/{id}/logs",
             [&c](Request& req, ResponseWriter& w) { return Logs(c, req, w); });
  router.Add("POST", "/containers/{id}/attach",
             [&c](Request& req, ResponseWriter& w) { return Attach(c, req, w); });
}

}  // namespace berth::api::server
