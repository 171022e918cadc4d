// The container endpoints that stream: logs (chunked), attach and exec (hijacked connections
// relayed to the container's shim), with exec's create, inspect and resize beside its start.
// Without a tty both carry docker's 8-byte stream headers; with one, the raw bytes.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <thread>

#include "api/server/routes.h"
#include "api/version/version.h"
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
  if (!tty && version::CompareApiVersions(req.api_version, "1.42") >= 0) {
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
// payloads with one. Returns when the streams end or the client goes away, with the exit code
// when the shim sent an exec's exit frame.
std::optional<int> CopyOutput(int shim_fd, int client, bool tty) {
  shim::FrameReader frames;
  char buffer[64 << 10];
  while (true) {
    ssize_t n = read(shim_fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    frames.Feed(std::string_view(buffer, static_cast<size_t>(n)));
    std::string out;
    while (true) {
      Result<std::optional<shim::Frame>> frame = frames.Next();
      if (!frame) return std::nullopt;
      if (!*frame) break;
      if ((*frame)->stream == shim::Stream::kExit) {
        (void)WriteAll(client, out);
        Result<int> code = shim::ParseExitPayload((*frame)->payload);
        return code ? std::optional(*code) : std::nullopt;
      }
      if (tty) {
        out += (*frame)->payload;
      } else {
        shim::AppendFrame(out, (*frame)->stream, (*frame)->payload);
      }
    }
    if (!WriteAll(client, out)) return std::nullopt;
  }
}

// Relay joins a hijacked client and a shim stream until the stream ends; finished gets the exec's
// exit code when the stream carried one, before the client sees the end of the stream (it asks
// for the exit code next).
void Relay(int client, int shim_fd, bool with_stdin, const std::string& early,
           const std::string& detach_keys, bool tty,
           const std::function<void(std::optional<int>)>& finished) {
  std::thread input;
  if (with_stdin) {
    if (!early.empty()) (void)WriteAll(shim_fd, early);
    input = std::thread([&] {
      if (CopyStdin(client, shim_fd, detach_keys)) {
        shutdown(shim_fd, SHUT_RDWR);  // detached: end the output copy too
      }
    });
  }
  finished(CopyOutput(shim_fd, client, tty));
  shutdown(client, SHUT_RDWR);
  if (input.joinable()) input.join();
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
  Relay(client.get(), attached->first.get(), streams.stdin_stream, early, detach_keys, tty,
        [](std::optional<int>) {});
  return Ok();
}

nlohmann::ordered_json ExecJson(const daemon::ExecView& v) {
  const daemon::container::ExecConfig& o = v.options;
  return {{"CanRemove", false},
          {"ContainerID", v.container_id},
          {"DetachKeys", o.detach_keys},
          {"ExitCode", v.exit_code ? nlohmann::ordered_json(*v.exit_code) : nullptr},
          {"ID", v.id},
          {"OpenStderr", o.attach_stderr},
          {"OpenStdin", o.attach_stdin},
          {"OpenStdout", o.attach_stdout},
          {"ProcessConfig",
           {{"arguments",
             std::vector<std::string>(o.cmd.begin() + (o.cmd.empty() ? 0 : 1), o.cmd.end())},
            {"entrypoint", o.cmd.empty() ? "" : o.cmd.front()},
            {"privileged", o.privileged},
            {"tty", o.tty},
            {"user", o.user}}},
          {"Running", v.running},
          {"Pid", v.pid}};
}

// StartExec is POST /exec/{id}/start: attached, a hijacked stream like attach's; detached, the
// process runs on and a thread of its own drains its output and records its exit.
Status StartExec(Containers& containers, Request& req, ResponseWriter& w) {
  const std::string id = req.params["id"];
  BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
  const bool detach = body.is_object() && body.value("Detach", false);
  BERTH_ASSIGN_OR_RETURN(daemon::ExecView view, containers.InspectExec(id));
  BERTH_ASSIGN_OR_RETURN(std::string detach_keys, DetachKeys(view.options.detach_keys));
  if (detach) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd conn, containers.StartExec(id));
    containers.DetachExec(id, std::move(conn), [](int fd) {
      UniqueFd sink(open("/dev/null", O_WRONLY | O_CLOEXEC));
      return CopyOutput(fd, sink.get(), true);
    });
    return w.SendEmpty(200);
  }
  std::string early;
  BERTH_ASSIGN_OR_RETURN(UniqueFd client,
                         w.Hijack(StreamContentType(req, view.options.tty), &early));
  // As dockerd: once hijacked, a process that cannot start is reported on the stream, and the
  // exec's exit code says why (127: not found, 126: not runnable).
  Result<UniqueFd> conn = containers.StartExec(id);
  if (!conn) {
    const std::string message = conn.error().message();
    const std::string text = daemon::ExecFailureText(message) + "\n";
    (void)WriteAll(client.get(),
                   view.options.tty ? text : shim::EncodeFrame(shim::Stream::kStderr, text));
    containers.FinishExec(id, message.find("not found") != std::string::npos ||
                                      message.find("no such file") != std::string::npos
                                  ? 127
                                  : 126);
    return Ok();
  }
  Relay(client.get(), conn->get(), view.options.attach_stdin, early, detach_keys, view.options.tty,
        [&](std::optional<int> code) { containers.FinishExec(id, code); });
  return Ok();
}

}  // namespace

void AddContainerStreamRoutes(http::Router& router, Containers& c) {
  router.Add("GET", "/containers/{id}/logs",
             [&c](Request& req, ResponseWriter& w) { return Logs(c, req, w); });
  router.Add("POST", "/containers/{id}/attach",
             [&c](Request& req, ResponseWriter& w) { return Attach(c, req, w); });
  router.Add("POST", "/containers/{id}/exec", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json body, req.ReadJson());
    BERTH_ASSIGN_OR_RETURN(daemon::container::ExecConfig options,
                           daemon::container::DecodeExecConfig(body));
    BERTH_ASSIGN_OR_RETURN(std::string id, c.CreateExec(req.params["id"], std::move(options)));
    return w.SendJson(201, nlohmann::ordered_json{{"Id", id}});
  });
  router.Add("POST", "/exec/{id}/start",
             [&c](Request& req, ResponseWriter& w) { return StartExec(c, req, w); });
  router.Add("GET", "/exec/{id}/json", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(daemon::ExecView view, c.InspectExec(req.params["id"]));
    return w.SendJson(200, ExecJson(view));
  });
  router.Add("POST", "/exec/{id}/resize", [&c](Request& req, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::optional<int> height, req.QueryInt("h"));
    BERTH_ASSIGN_OR_RETURN(std::optional<int> width, req.QueryInt("w"));
    BERTH_TRY(c.ResizeExec(req.params["id"], height.value_or(0), width.value_or(0)));
    return w.SendEmpty(200);
  });
}

}  // namespace berth::api::server
