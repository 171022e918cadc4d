// libFuzzer target for the server's handling of untrusted requests. Each input is what a client
// sends on one connection: a ConnectionServer serves it over a socketpair, with routes that read
// bodies whole, as JSON, stream a response and hijack the connection, while the client reads
// everything back. The server must end the connection once the input ends, and when it answers,
// the answer must be an HTTP/1.1 response with the server's headers. The same bytes also go to
// the pure parts (URL decoding, query parsing); the target
// aborts when one of them breaks its contract. Corpus: fuzz_corpus/.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "http/connection.h"
#include "http/server.h"
#include "http/url.h"

namespace {

namespace http = berth::http;
using berth::ErrorKind;
using berth::Result;
using berth::Status;

[[noreturn]] void Abort(const std::string& what) {
  std::fprintf(stderr, "request fuzz: %s\n", what.c_str());
  std::abort();
}

http::Router MakeRouter() {
  http::Router router;
  auto ping = [](http::Request&, http::ResponseWriter& w) {
    return w.Send(200, "text/plain", "OK");
  };
  router.Add("GET", "/_ping", ping);
  router.Add("HEAD", "/_ping", ping);
  router.Add("GET", "/containers/{id}/json", [](http::Request& r, http::ResponseWriter& w) {
    return w.SendJson(200, nlohmann::json{{"Id", r.params["id"]}});
  });
  router.Add("GET", "/images/{name:.*}/json", [](http::Request& r, http::ResponseWriter& w) {
    return w.SendJson(200, nlohmann::json{{"Name", r.params["name"]}});
  });
  router.Add("GET", "/query", [](http::Request& r, http::ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(bool all, r.QueryBool("all"));
    return w.SendJson(200, nlohmann::json{{"all", all}, {"name", r.Query("name").value_or("")}});
  });
  router.Add("POST", "/json", [](http::Request& r, http::ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json body, r.ReadJson(1 << 16));
    return w.SendJson(201, body);
  });
  router.Add("POST", "/echo", [](http::Request& r, http::ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(std::string body, r.ReadBody(1 << 16));
    return w.Send(200, "application/octet-stream", body);
  });
  router.Add("GET", "/stream", [](http::Request&, http::ResponseWriter& w) -> Status {
    BERTH_TRY(w.BeginStream(200, "application/json"));
    BERTH_TRY(w.Write("{\"status\":\"one\"}\n"));
    BERTH_TRY(w.Write("{\"status\":\"two\"}\n"));
    return w.End();
  });
  router.Add("POST", "/attach", [](http::Request&, http::ResponseWriter& w) -> Status {
    std::string already;
    BERTH_ASSIGN_OR_RETURN(berth::UniqueFd fd,
                           w.Hijack("application/vnd.docker.raw-stream", &already));
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) {
      if (write(fd.get(), buffer, static_cast<size_t>(n)) < 0) break;
    }
    return berth::Ok();
  });
  return router;
}

// Serve runs one connection: the input is sent (then the client's side is shut for writing)
// while the output is read to its end.
std::string Serve(std::string_view input) {
  static const http::Router router = MakeRouter();
  static const http::ServerOptions options;
  static const http::ConnectionServer server(router, options);
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) Abort("socketpair failed");
  berth::UniqueFd client(fds[0]);
  http::SocketGuard guard(fds[1]);
  std::thread serving([&] { server.Serve(berth::UniqueFd(fds[1]), AF_UNIX, nullptr, &guard); });
  std::thread sending([&] {
    std::string_view rest = input;
    while (!rest.empty()) {
      ssize_t n = send(client.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    shutdown(client.get(), SHUT_WR);
  });
  std::string output;
  char buffer[16 << 10];
  ssize_t n;
  while ((n = recv(client.get(), buffer, sizeof(buffer), 0)) > 0) {
    output.append(buffer, static_cast<size_t>(n));
  }
  sending.join();
  client.Reset();
  serving.join();
  return output;
}

void CheckResponse(const std::string& output) {
  if (output.empty()) return;
  if (output.size() < 12 || !output.starts_with("HTTP/1.1 ")) Abort("not a response: " + output);
  size_t head_end = output.find("\r\n\r\n");
  if (head_end == std::string::npos) Abort("response head without its end: " + output);
  std::string_view head(output.data(), head_end);
  // A "100 Continue" comes without headers; the response after it has them.
  if (head.starts_with("HTTP/1.1 100 ")) {
    return CheckResponse(output.substr(head_end + 4));
  }
  if (head.find("\r\nServer: berth (linux)\r\n") == std::string_view::npos ||
      head.find("\r\nDate: ") == std::string_view::npos) {
    Abort("response without the server's headers: " + std::string(head));
  }
}

void CheckPureParts(std::string_view input) {
  Result<std::string> path = http::DecodePath(input);
  if (!path && path.error().kind() != ErrorKind::kInvalidArgument) Abort("DecodePath kind");
  if (path && path->size() > input.size()) Abort("DecodePath grew its input");
  Result<http::QueryValues> query = http::ParseQuery(input);
  if (!query && query.error().kind() != ErrorKind::kInvalidArgument) Abort("ParseQuery kind");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckPureParts(input);
  CheckResponse(Serve(input));
  return 0;
}
