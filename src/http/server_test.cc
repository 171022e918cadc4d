// The server over a real unix socket (and TCP on 127.0.0.1), driven by a raw client that writes
// requests byte for byte: routing, the prepare hook, queries, bodies, streams, hijacking, the
// headers every response carries, malformed requests, listening and stopping.
#include "http/server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "base/temp_dir.h"
#include "http/test_client.h"

namespace berth::http {
namespace {

using nlohmann::json;

constexpr auto kWait = std::chrono::seconds(10);

json JsonOf(const RawResponse& response) { return json::parse(response.body, nullptr, false); }

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { socket_path_ = dir_ / "api.sock"; }

  void TearDown() override { StopServer(); }

  // StartServer listens on the unix socket, and on extra when given, and serves on a thread.
  std::string StartServer(const std::string& extra = "") {
    ServerOptions options;
    options.server_version = "1.2.3";
    options.response_headers = {{"X-Served-By", "test"}};
    // /alias/... is served as /...; /forbidden/... is refused.
    options.prepare = [](Request& r) -> Status {
      if (r.path.starts_with("/forbidden/")) return Fail(ErrorKind::kPermissionDenied, "no");
      if (r.path.starts_with("/alias/")) {
        r.path.erase(0, 6);
        r.api_version = "alias";
      }
      return Ok();
    };
    server_ = std::make_unique<Server>(MakeRouter(), options);
    Result<std::string> unix_address = server_->Listen({.address = "unix://" + socket_path_});
    EXPECT_TRUE(unix_address) << unix_address.error().message();
    std::string bound;
    if (!extra.empty()) {
      Result<std::string> address = server_->Listen({.address = extra});
      EXPECT_TRUE(address) << address.error().message();
      if (address) bound = *address;
    }
    serve_thread_ = std::thread([this] { server_->Serve(); });
    return bound;
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    serve_thread_.join();
    server_.reset();
  }

  TestClient Connect() { return TestClient::ConnectUnix(socket_path_); }

  // Get sends one GET on a new connection and reads the response.
  RawResponse Get(const std::string& target) {
    TestClient client = Connect();
    client.Send("GET " + target + " HTTP/1.1\r\nHost: berth\r\n\r\n");
    return client.ReadResponse();
  }

  Router MakeRouter();

  TempDir dir_ = TempDir::Make("berth-http-test").value();
  std::string socket_path_;
  std::unique_ptr<Server> server_;
  std::thread serve_thread_;
  std::promise<std::string> first_piece_;   // the first piece of body /echo read
  std::promise<void> first_chunk_seen_;     // the client saw the first chunk of /stream
  std::promise<std::string> already_read_;  // what Hijack gave back on /attach
};

Router ServerTest::MakeRouter() {
  Router router;
  auto ping = [](Request&, ResponseWriter& w) { return w.Send(200, "text/plain", "OK"); };
  router.Add("GET", "/_ping", ping);
  router.Add("HEAD", "/_ping", ping);
  auto describe = [](std::string route) {
    return [route](Request& r, ResponseWriter& w) {
      return w.SendJson(200, json{{"route", route},
                                  {"params", r.params},
                                  {"path", r.path},
                                  {"version", r.api_version}});
    };
  };
  router.Add("GET", "/containers/json", describe("list"));
  router.Add("GET", "/containers/{id}/json", describe("inspect"));
  router.Add("GET", "/containers/{id}", describe("container"));
  router.Add("GET", "/images/json", describe("images"));
  router.Add("GET", "/images/{name:.*}/json", describe("image"));
  router.Add("DELETE", "/images/{name:.*}", describe("delete image"));
  router.Add("GET", "/query", [](Request& r, ResponseWriter& w) -> Status {
    json values = json::object();
    for (const auto& [key, value] : r.query) values[key].push_back(value);
    BERTH_ASSIGN_OR_RETURN(bool all, r.QueryBool("all"));
    BERTH_ASSIGN_OR_RETURN(bool size, r.QueryBool("size", true));
    BERTH_ASSIGN_OR_RETURN(std::optional<int> limit, r.QueryInt("limit"));
    return w.SendJson(200, json{{"values", values},
                                {"all", all},
                                {"size", size},
                                {"limit", limit ? json(*limit) : json(nullptr)}});
  });
  router.Add("GET", "/fail", [](Request&, ResponseWriter&) -> Status {
    return Fail(ErrorKind::kNotFound, "no such container: x");
  });
  router.Add("POST", "/json", [](Request& r, ResponseWriter& w) -> Status {
    BERTH_ASSIGN_OR_RETURN(json body, r.ReadJson());
    return w.SendJson(201, body);
  });
  router.Add("POST", "/echo", [this](Request& r, ResponseWriter& w) -> Status {
    std::string body;
    char piece[64];
    while (true) {
      BERTH_ASSIGN_OR_RETURN(size_t n, r.body->Read(piece, sizeof(piece)));
      if (n == 0) break;
      if (body.empty()) first_piece_.set_value(std::string(piece, n));
      body.append(piece, n);
    }
    return w.Send(200, "text/plain", body);
  });
  router.Add("POST", "/partial", [](Request& r, ResponseWriter& w) -> Status {
    char piece[10];
    BERTH_ASSIGN_OR_RETURN(size_t n, r.body->Read(piece, sizeof(piece)));
    return w.Send(200, "text/plain", std::string_view(piece, n));
  });
  auto sized = [](Request& r, ResponseWriter& w) -> Status {
    // /sized?short=1 promises ten bytes and writes five.
    BERTH_TRY(w.BeginBody(200, "application/octet-stream", 10, {{"X-Sized", "yes"}}));
    BERTH_TRY(w.Write("01234"));
    if (!r.Query("short")) BERTH_TRY(w.Write("56789"));
    return w.End();
  };
  router.Add("GET", "/sized", sized);
  router.Add("HEAD", "/sized", sized);
  router.Add("GET", "/stream", [this](Request&, ResponseWriter& w) -> Status {
    BERTH_TRY(w.BeginStream(200, "application/json"));
    BERTH_TRY(w.Write("{\"n\":1}\n"));
    bool seen = first_chunk_seen_.get_future().wait_for(kWait) == std::future_status::ready;
    BERTH_TRY(w.Write(seen ? "{\"n\":2}\n" : "the first chunk was not seen\n"));
    return w.End();
  });
  router.Add("GET", "/stream-fails", [](Request&, ResponseWriter& w) -> Status {
    BERTH_TRY(w.BeginStream(200, "application/json"));
    BERTH_TRY(w.Write("{\"n\":1}\n"));
    return Fail(ErrorKind::kInternal, "the daemon went away");
  });
  router.Add("POST", "/attach", [this](Request&, ResponseWriter& w) -> Status {
    std::string already;
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, w.Hijack("application/vnd.docker.raw-stream", &already));
    already_read_.set_value(already);
    std::string out = "hello from the container\n";
    if (write(fd.get(), out.data(), out.size()) < 0) return Fail(ErrnoNow("write"));
    char in[64];
    ssize_t n = read(fd.get(), in, sizeof(in));
    if (n < 0) return Fail(ErrnoNow("read"));
    std::string echo = "echo:" + std::string(in, static_cast<size_t>(n));
    if (write(fd.get(), echo.data(), echo.size()) < 0) return Fail(ErrnoNow("write"));
    return Ok();
  });
  return router;
}

TEST(AuthorizationOfTest, MatchesTheSchemeInAnyCase) {
  EXPECT_EQ(AuthorizationOf("Bearer abc", "Bearer"), "abc");
  EXPECT_EQ(AuthorizationOf("  bearer   abc  ", "Bearer"), "abc");
  EXPECT_EQ(AuthorizationOf("BASIC dTpw", "Basic"), "dTpw");
  EXPECT_EQ(AuthorizationOf("Basic dTpw", "Bearer"), std::nullopt);
  EXPECT_EQ(AuthorizationOf("Bearerabc", "Bearer"), std::nullopt);
  EXPECT_EQ(AuthorizationOf("Bearer", "Bearer"), std::nullopt);
}

TEST_F(ServerTest, EveryResponseCarriesTheServersHeaders) {
  StartServer();
  for (std::string target : {"/_ping", "/nowhere", "/forbidden/_ping"}) {
    RawResponse response = Get(target);
    EXPECT_EQ(response.Header("X-Served-By"), "test") << target;
    EXPECT_EQ(response.Header("Server"), "berth/1.2.3 (linux)") << target;
    EXPECT_TRUE(response.Header("Date")) << target;
  }
  RawResponse ping = Get("/_ping");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.Header("Content-Type"), "text/plain");
  EXPECT_EQ(ping.Header("Content-Length"), "2");
  EXPECT_EQ(ping.body, "OK");
}

TEST_F(ServerTest, RoutesLiteralsBeforeCapturesAndNamesWithSlashes) {
  StartServer();
  EXPECT_EQ(JsonOf(Get("/containers/json"))["route"], "list");
  json inspect = JsonOf(Get("/containers/abc123/json"));
  EXPECT_EQ(inspect["route"], "inspect");
  EXPECT_EQ(inspect["params"]["id"], "abc123");
  EXPECT_EQ(JsonOf(Get("/containers/abc123"))["route"], "container");
  EXPECT_EQ(JsonOf(Get("/images/json"))["route"], "images");
  json image = JsonOf(Get("/images/docker.io/library/busybox:latest/json"));
  EXPECT_EQ(image["route"], "image");
  EXPECT_EQ(image["params"]["name"], "docker.io/library/busybox:latest");
  // An escaped slash is a slash once decoded: the same image.
  EXPECT_EQ(JsonOf(Get("/images/docker.io%2Flibrary%2Fbusybox:latest/json"))["params"]["name"],
            "docker.io/library/busybox:latest");

  TestClient client = Connect();
  client.Send("DELETE /images/localhost:5000/app/json HTTP/1.1\r\nHost: b\r\n\r\n");
  json deleted = JsonOf(client.ReadResponse());
  EXPECT_EQ(deleted["route"], "delete image");
  EXPECT_EQ(deleted["params"]["name"], "localhost:5000/app/json");
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405) {
  StartServer();
  RawResponse missing = Get("/containers/abc/logs");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("Content-Type"), "application/json");
  EXPECT_EQ(JsonOf(missing), json({{"message", "page not found"}}));
  EXPECT_EQ(Get("/containers//json").status, 404);

  TestClient client = Connect();
  client.Send("POST /containers/json HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n");
  RawResponse wrong = client.ReadResponse();
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(JsonOf(wrong), json({{"message", "method not allowed"}}));
}

TEST_F(ServerTest, PrepareHookRewritesOrRefusesBeforeRouting) {
  StartServer();
  json aliased = JsonOf(Get("/alias/containers/json"));
  EXPECT_EQ(aliased["route"], "list");
  EXPECT_EQ(aliased["version"], "alias");
  EXPECT_EQ(aliased["path"], "/containers/json");
  EXPECT_EQ(JsonOf(Get("/containers/json"))["version"], "");

  RawResponse refused = Get("/forbidden/containers/json");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(JsonOf(refused)["message"], "no");
}

TEST_F(ServerTest, QueryValuesAreDecodedAndBooleansRead) {
  StartServer();
  RawResponse response =
      Get("/query?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&name=my+app&t=x&t=y&all");
  ASSERT_EQ(response.status, 200) << response.body;
  json body = JsonOf(response);
  EXPECT_EQ(body["values"]["filters"][0], R"({"label":["a=b"]})");
  EXPECT_EQ(body["values"]["name"][0], "my app");
  EXPECT_EQ(body["values"]["t"], json({"x", "y"}));
  EXPECT_EQ(body["all"], true);   // present without a value
  EXPECT_EQ(body["size"], true);  // absent: the fallback
  json flags = JsonOf(Get("/query?all=0&size=False"));
  EXPECT_EQ(flags["all"], false);
  EXPECT_EQ(flags["size"], false);
  EXPECT_EQ(JsonOf(Get("/query?all=1&all=true"))["all"], true);

  RawResponse bad_bool = Get("/query?all=maybe");
  EXPECT_EQ(bad_bool.status, 400);
  EXPECT_NE(JsonOf(bad_bool)["message"].get<std::string>().find("maybe"), std::string::npos);
  EXPECT_EQ(Get("/query?name=%zz").status, 400);

  EXPECT_EQ(JsonOf(Get("/query?limit=-3"))["limit"], -3);
  EXPECT_TRUE(JsonOf(Get("/query?limit="))["limit"].is_null());
  for (const char* bad : {"/query?limit=3x", "/query?limit=99999999999"}) {
    RawResponse bad_int = Get(bad);
    EXPECT_EQ(bad_int.status, 400) << bad;
    EXPECT_NE(JsonOf(bad_int)["message"].get<std::string>().find("\"limit\""), std::string::npos);
  }
}

TEST_F(ServerTest, HandlerErrorsBecomeResponsesOfTheirKind) {
  StartServer();
  RawResponse response = Get("/fail");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(JsonOf(response), json({{"message", "no such container: x"}}));
}

TEST_F(ServerTest, ReadJsonReadsObjectsAndRefusesMalformedBodies) {
  StartServer();
  TestClient client = Connect();
  std::string body = R"({"Image":"busybox","Cmd":["true"]})";
  client.Send(
      "POST /json HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  RawResponse created = client.ReadResponse();
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(JsonOf(created), json::parse(body));

  client.Send("POST /json HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(JsonOf(client.ReadResponse()), json::object());

  client.Send("POST /json HTTP/1.1\r\nHost: b\r\nContent-Length: 4\r\n\r\n{bad");
  RawResponse malformed = client.ReadResponse();
  EXPECT_EQ(malformed.status, 400);
  std::string message = JsonOf(malformed)["message"];
  EXPECT_TRUE(message.starts_with("invalid JSON: ")) << message;

  std::string deep = std::string(2000, '[') + std::string(2000, ']');
  client.Send("POST /json HTTP/1.1\r\nHost: b\r\nContent-Length: 4000\r\n\r\n" + deep);
  RawResponse too_deep = client.ReadResponse();
  EXPECT_EQ(too_deep.status, 400);
  EXPECT_EQ(JsonOf(too_deep)["message"], "invalid JSON: nested deeper than 1000 levels");
}

TEST_F(ServerTest, ChunkedRequestBodyIsStreamedToTheHandler) {
  StartServer();
  TestClient client = Connect();
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n");
  // The handler gets the first chunk while the rest of the body is still unsent.
  std::future<std::string> first = first_piece_.get_future();
  ASSERT_EQ(first.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(first.get(), "hello");
  client.Send("6;ext=1\r\n world\r\n0\r\n\r\n");
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello world");
}

TEST_F(ServerTest, ExpectContinueIsAnsweredBeforeTheBodyIsRead) {
  StartServer();
  TestClient client = Connect();
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: b\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  RawResponse go_on = client.ReadHead();
  EXPECT_EQ(go_on.status, 100);
  client.Send("data");
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "data");
}

TEST_F(ServerTest, UnreadBodyIsSkippedBeforeTheNextRequest) {
  StartServer();
  TestClient client = Connect();
  std::string body(100000, 'x');
  body.replace(0, 10, "0123456789");
  client.Send("POST /partial HTTP/1.1\r\nHost: b\r\nContent-Length: 100000\r\n\r\n" + body);
  RawResponse partial = client.ReadResponse();
  EXPECT_EQ(partial.body, "0123456789");
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse ping = client.ReadResponse();
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "OK");
}

TEST_F(ServerTest, LargeUnreadBodyClosesTheConnectionAfterTheResponse) {
  StartServer();
  TestClient client = Connect();
  std::string head = "POST /partial HTTP/1.1\r\nHost: b\r\nContent-Length: 8000000\r\n\r\n";
  std::thread sender([&client, head] {
    // The server stops reading; the rest of the body meets a closed connection.
    if (client.Send(head)) client.Send(std::string(8000000, 'y'));
  });
  RawResponse partial = client.ReadResponse();
  EXPECT_EQ(partial.status, 200);
  EXPECT_EQ(partial.body, "yyyyyyyyyy");
  EXPECT_TRUE(client.AtEnd());
  sender.join();
}

TEST_F(ServerTest, StreamedResponseReachesTheClientChunkByChunk) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET /stream HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse head = client.ReadHead();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(head.Header("Content-Type"), "application/json");
  EXPECT_FALSE(head.Header("Content-Length"));
  EXPECT_EQ(client.ReadChunk(), "{\"n\":1}\n");
  first_chunk_seen_.set_value();
  EXPECT_EQ(client.ReadChunk(), "{\"n\":2}\n");
  EXPECT_EQ(client.ReadChunk(), std::nullopt);
  // The connection carries on after the last chunk.
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "OK");
}

TEST_F(ServerTest, StreamThatFailsEndsTheConnectionWithoutTheLastChunk) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET /stream-fails HTTP/1.1\r\nHost: b\r\n\r\n");
  EXPECT_EQ(client.ReadHead().status, 200);
  EXPECT_EQ(client.ReadChunk(), "{\"n\":1}\n");
  EXPECT_TRUE(client.AtEnd());
}

TEST_F(ServerTest, HijackWithUpgradeAnswers101AndCarriesBytesBothWays) {
  StartServer();
  TestClient client = Connect();
  client.Send(
      "POST /attach HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly");
  RawResponse head = client.ReadHead();
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(head.reason, "UPGRADED");
  EXPECT_EQ(head.Header("Content-Type"), "application/vnd.docker.raw-stream");
  EXPECT_EQ(head.Header("Connection"), "Upgrade");
  EXPECT_EQ(head.Header("Upgrade"), "tcp");
  EXPECT_EQ(head.Header("X-Served-By"), "test");
  std::future<std::string> already = already_read_.get_future();
  ASSERT_EQ(already.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(already.get(), "early");
  EXPECT_EQ(client.ReadExactly(25), "hello from the container\n");
  client.Send("ls -l");
  EXPECT_EQ(client.ReadToEnd(), "echo:ls -l");
}

TEST_F(ServerTest, HijackWithoutUpgradeAnswers200WithoutLength) {
  StartServer();
  TestClient client = Connect();
  client.Send("POST /attach HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n");
  RawResponse head = client.ReadHead();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.reason, "OK");
  EXPECT_EQ(head.Header("Content-Type"), "application/vnd.docker.raw-stream");
  EXPECT_FALSE(head.Header("Content-Length"));
  EXPECT_FALSE(head.Header("Transfer-Encoding"));
  EXPECT_FALSE(head.Header("Upgrade"));
  EXPECT_EQ(client.ReadExactly(25), "hello from the container\n");
  client.Send("input");
  EXPECT_EQ(client.ReadToEnd(), "echo:input");
}

TEST_F(ServerTest, BodyOfAKnownLengthIsWrittenInPieces) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET /sized HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse whole = client.ReadResponse();
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.Header("Content-Length"), "10");
  EXPECT_FALSE(whole.Header("Transfer-Encoding"));
  EXPECT_EQ(whole.Header("X-Sized"), "yes");
  EXPECT_EQ(whole.body, "0123456789");
  // The connection carries the next request.
  client.Send("HEAD /sized HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse head = client.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(head.Header("Content-Length"), "10");
  EXPECT_EQ(head.body, "");
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "OK");

  // A body shorter than its length ends the connection: the client sees it cut short.
  TestClient cut = Connect();
  cut.Send("GET /sized?short=1 HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse cut_head = cut.ReadHead();
  EXPECT_EQ(cut_head.Header("Content-Length"), "10");
  EXPECT_EQ(cut.ReadToEnd(), "01234");
}

TEST_F(ServerTest, HeadRequestGetsTheHeadersWithoutBody) {
  StartServer();
  TestClient client = Connect();
  client.Send("HEAD /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse head = client.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), "2");
  EXPECT_EQ(head.Header("X-Served-By"), "test");
  // Had a body been sent, it would now be read as the start of the next response.
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse get = client.ReadResponse();
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "OK");
}

TEST_F(ServerTest, ConnectionCloseAndHttp10EndTheConnection) {
  StartServer();
  TestClient closing = Connect();
  closing.Send("GET /_ping HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n");
  RawResponse response = closing.ReadResponse();
  EXPECT_EQ(response.body, "OK");
  EXPECT_EQ(response.Header("Connection"), "close");
  EXPECT_TRUE(closing.AtEnd());

  TestClient old = Connect();
  old.Send("GET /_ping HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.ReadResponse().body, "OK");
  EXPECT_TRUE(old.AtEnd());
}

TEST_F(ServerTest, MalformedRequestLineIs400AndCloses) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET\x01 / HTTP/1.1\r\n\r\n");
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  EXPECT_TRUE(JsonOf(response)["message"].get<std::string>().starts_with("malformed request"));
  EXPECT_TRUE(client.AtEnd());
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(JsonOf(response)["message"], "request header fields too large");
  EXPECT_TRUE(client.AtEnd());
}

TEST_F(ServerTest, StopEndsIdleKeepAliveConnections) {
  StartServer();
  TestClient client = Connect();
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "OK");
  // The connection stays open, its thread blocked reading the next request.
  std::future<void> stopped = std::async(std::launch::async, [this] { StopServer(); });
  ASSERT_EQ(stopped.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(client.AtEnd());
  EXPECT_FALSE(std::filesystem::exists(socket_path_));
}

TEST_F(ServerTest, StaleSocketIsReplacedAndLiveOneRefused) {
  // A socket file left by a server that is gone: nobody accepts on it.
  {
    UniqueFd stale(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(socket_path_));
  StartServer();
  EXPECT_EQ(Get("/_ping").body, "OK");
  struct stat st {};
  ASSERT_EQ(stat(socket_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  Server second{Router(), ServerOptions()};
  Result<std::string> refused = second.Listen({.address = "unix://" + socket_path_});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kAlreadyExists);
  EXPECT_EQ(Get("/_ping").body, "OK");  // the live server still has its socket

  std::string plain = dir_ / "plain";
  std::ofstream(plain) << "not a socket";
  Result<std::string> not_socket = second.Listen({.address = "unix://" + plain});
  ASSERT_FALSE(not_socket);
  EXPECT_EQ(not_socket.error().kind(), ErrorKind::kAlreadyExists);
  EXPECT_TRUE(std::filesystem::exists(plain));
}

TEST_F(ServerTest, SocketModeAndGroupAreApplied) {
  struct group* nogroup = getgrnam("nogroup");
  if (nogroup == nullptr) GTEST_SKIP() << "no group \"nogroup\" on this host";
  gid_t gid = nogroup->gr_gid;
  Server server{Router(), ServerOptions()};
  std::string grouped = dir_ / "grouped.sock";
  ASSERT_TRUE(
      server.Listen({.address = "unix://" + grouped, .unix_mode = 0600, .unix_group = "nogroup"}));
  struct stat st {};
  ASSERT_EQ(stat(grouped.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_gid, gid);

  std::string ungrouped = dir_ / "ungrouped.sock";
  ASSERT_TRUE(
      server.Listen({.address = "unix://" + ungrouped, .unix_group = "berth-no-such-group"}));
  ASSERT_EQ(stat(ungrouped.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, getegid());
  server.Stop();
  EXPECT_FALSE(std::filesystem::exists(grouped));
}

TEST_F(ServerTest, ListenRefusesMalformedAddresses) {
  Server server{Router(), ServerOptions()};
  for (std::string address :
       {"http://x", "tcp://nohost", "tcp://127.0.0.1:99999", "tcp://::1:80", "unix://"}) {
    Result<std::string> result = server.Listen({.address = address});
    ASSERT_FALSE(result) << address;
    EXPECT_EQ(result.error().kind(), ErrorKind::kInvalidArgument) << address;
  }
}

TEST_F(ServerTest, TcpPortZeroIsReplacedByThePortChosen) {
  std::string address = StartServer("tcp://127.0.0.1:0");
  ASSERT_TRUE(address.starts_with("tcp://127.0.0.1:")) << address;
  int port = std::atoi(address.substr(16).c_str());
  ASSERT_GT(port, 0);
  TestClient client = TestClient::ConnectTcp("127.0.0.1", port);
  client.Send("GET /_ping HTTP/1.1\r\nHost: b\r\n\r\n");
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "OK");
}

}  // namespace
}  // namespace berth::http
