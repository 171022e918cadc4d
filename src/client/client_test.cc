// The client against the project's own HTTP server on a unix socket and on TCP: what it sends and
// reads is observed on both ends of a real connection.
#include "client/client.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <thread>

#include "api/version/version.h"
#include "base/file.h"
#include "base/temp_dir.h"
#include "http/server.h"

namespace berth::client {
namespace {

using http::Request;
using http::ResponseWriter;

class ClientTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }

  // Start serves on a unix socket, or on 127.0.0.1 when tcp (with TLS, requiring a client
  // certificate, when tls).
  void Start(const std::string& server_version = "1.45", bool tcp = false, bool tls = false) {
    http::Router router;
    router.Add("GET", "/_ping",
               [](Request&, ResponseWriter& w) { return w.Send(200, "text/plain", "OK"); });
    router.Add("GET", "/echo", [](Request& req, ResponseWriter& w) {
      nlohmann::json out = {{"version", req.api_version},
                            {"name", req.Query("name").value_or("")},
                            {"changes", nlohmann::json::array()}};
      auto [begin, end] = req.query.equal_range("changes");
      for (auto it = begin; it != end; ++it) out["changes"].push_back(it->second);
      return w.SendJson(200, out);
    });
    router.Add("GET", "/missing", [](Request&, ResponseWriter&) -> Status {
      return Fail(ErrorKind::kNotFound, "no such image: nosuch");
    });
    router.Add("POST", "/count", [](Request& req, ResponseWriter& w) -> Status {
      char data[4096];
      size_t total = 0;
      while (true) {
        BERTH_ASSIGN_OR_RETURN(size_t n, req.body->Read(data, sizeof(data)));
        if (n == 0) break;
        total += n;
      }
      return w.SendJson(
          200, nlohmann::json{{"bytes", total}, {"type", req.Header("Content-Type").value_or("")}});
    });
    router.Add("GET", "/lines", [](Request&, ResponseWriter& w) -> Status {
      BERTH_TRY(w.BeginStream(200, "application/json"));
      BERTH_TRY(w.Write("{\"status\":\"one\"}\n{\"status\":"));
      BERTH_TRY(w.Write("\"two\"}\n"));
      return w.End();
    });
    router.Add("POST", "/hijack", [](Request&, ResponseWriter& w) -> Status {
      std::string already;
      BERTH_ASSIGN_OR_RETURN(UniqueFd fd, w.Hijack("application/vnd.docker.raw-stream", &already));
      // Echo upper-cased until the client half-closes, then say goodbye.
      std::string got = already;
      char data[256];
      ssize_t n;
      while ((n = read(fd.get(), data, sizeof(data))) > 0) got.append(data, static_cast<size_t>(n));
      for (char& c : got) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      got += "|bye";
      if (write(fd.get(), got.data(), got.size()) < 0) return Fail(ErrnoNow("write"));
      return Ok();
    });
    server_ = std::make_unique<http::Server>(
        std::move(router), api::version::EngineServerOptions(
                               {.api_version = server_version, .min_api_version = "1.24"}));
    std::optional<http::TlsServerConfig> tls_files;
    if (tls) {
      tls_files = http::TlsServerConfig{.cert_file = TestData("server.pem"),
                                        .key_file = TestData("server.key"),
                                        .client_ca_file = TestData("ca.pem")};
    }
    Result<std::string> address = server_->Listen(
        {.address = tcp ? "tcp://127.0.0.1:0" : "unix://" + (dir_ / "api.sock"), .tls = tls_files});
    ASSERT_TRUE(address) << address.error().message();
    address_ = *address;
    thread_ = std::thread([this] { server_->Serve(); });
  }

  static std::string TestData(const std::string& name) {
    const char* root = std::getenv("BERTH_SOURCE_DIR");
    return std::string(root != nullptr ? root : ".") + "/src/http/testdata/tls/" + name;
  }

  Client Make(const std::string& version = "",
              std::optional<http::TlsClientConfig> tls = std::nullopt) {
    Result<Client> client =
        Client::Create({.host = address_, .api_version = version, .tls = std::move(tls)});
    EXPECT_TRUE(client) << client.error().message();
    return std::move(*client);
  }

  TempDir dir_ = TempDir::Make("berth-client-test").value();
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::string address_;
};

TEST_F(ClientTest, NegotiatesTheLowerVersionAndEncodesQueries) {
  Start("1.41");
  Client client = Make();
  Result<nlohmann::ordered_json> out = client.DoJson(
      {.path = "/echo",
       .query = {{"name", "a b&c"}, {"changes", "CMD [\"x\"]"}, {"changes", "ENV A=1"}}});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)["version"], "1.41");
  EXPECT_EQ((*out)["name"], "a b&c");
  EXPECT_EQ((*out)["changes"], nlohmann::json({"CMD [\"x\"]", "ENV A=1"}));
}

TEST_F(ClientTest, UsesItsOwnMaximumWithANewerServer) {
  Start("1.99");
  Client client = Make();
  EXPECT_EQ(*client.ApiVersion(), std::string(kMaxApiVersion));
}

TEST_F(ClientTest, AFixedVersionIsUsedWithoutPing) {
  Start("1.45");
  Client client = Make("1.30");
  Result<nlohmann::ordered_json> out = client.DoJson({.path = "/echo"});
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)["version"], "1.30");
}

TEST_F(ClientTest, WorksOverTcp) {
  Start("1.45", /*tcp=*/true);
  ASSERT_TRUE(address_.starts_with("tcp://"));
  Client client = Make();
  Result<nlohmann::ordered_json> out = client.DoJson({.path = "/echo", .query = {{"name", "x"}}});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)["name"], "x");
}

TEST_F(ClientTest, ErrorStatusesBecomeDockersErrors) {
  Start();
  Client client = Make();
  Result<Response> r = client.Do({.path = "/missing"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message(), "Error response from daemon: no such image: nosuch");
  r = client.Do({.method = "DELETE", .path = "/echo"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message().starts_with("Error response from daemon: "))
      << r.error().message();
}

TEST_F(ClientTest, StreamsABodyFromAFileWithoutLength) {
  Start();
  Client client = Make();
  const std::string path = dir_ / "body.tar";
  std::string content(3 << 20, 'z');
  ASSERT_TRUE(WriteFile(path, content));
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  Result<nlohmann::ordered_json> out = client.DoJson({.method = "POST",
                                                      .path = "/count",
                                                      .body_fd = fd.get(),
                                                      .content_type = "application/x-tar"});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)["bytes"], content.size());
  EXPECT_EQ((*out)["type"], "application/x-tar");
}

TEST_F(ClientTest, ReadsChunkedStreamsLineByLine) {
  Start();
  Client client = Make();
  Result<std::unique_ptr<ResponseStream>> stream = client.Stream({.path = "/lines"});
  ASSERT_TRUE(stream) << stream.error().message();
  EXPECT_EQ(*(*stream)->ReadLine(), std::optional<std::string>("{\"status\":\"one\"}"));
  EXPECT_EQ(*(*stream)->ReadLine(), std::optional<std::string>("{\"status\":\"two\"}"));
  EXPECT_EQ(*(*stream)->ReadLine(), std::nullopt);
}

TEST_F(ClientTest, HijackGivesAFullDuplexStream) {
  Start();
  Client client = Make();
  Result<Hijacked> h = client.Hijack({.method = "POST", .path = "/hijack"});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->status, 101);
  ASSERT_EQ(write(h->fd.get(), "hello", 5), 5);
  ASSERT_EQ(shutdown(h->fd.get(), SHUT_WR), 0);
  std::string got = h->already_read;
  char data[256];
  ssize_t n;
  while ((n = read(h->fd.get(), data, sizeof(data))) > 0) got.append(data, static_cast<size_t>(n));
  EXPECT_EQ(got, "HELLO|bye");
}

TEST_F(ClientTest, WorksOverTlsWithAClientCertificate) {
  signal(SIGPIPE, SIG_IGN);  // as berth does
  Start("1.45", /*tcp=*/true, /*tls=*/true);
  Client client = Make("", http::TlsClientConfig{.verify = true,
                                                 .ca_file = TestData("ca.pem"),
                                                 .cert_file = TestData("client.pem"),
                                                 .key_file = TestData("client.key")});
  Result<nlohmann::ordered_json> out = client.DoJson({.path = "/echo", .query = {{"name", "x"}}});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)["name"], "x");

  const std::string path = dir_ / "body.tar";
  std::string content(1 << 20, 'z');
  ASSERT_TRUE(WriteFile(path, content));
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  out = client.DoJson({.method = "POST", .path = "/count", .body_fd = fd.get()});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)["bytes"], content.size());

  Result<std::unique_ptr<ResponseStream>> stream = client.Stream({.path = "/lines"});
  ASSERT_TRUE(stream) << stream.error().message();
  EXPECT_EQ(*(*stream)->ReadLine(), std::optional<std::string>("{\"status\":\"one\"}"));
  EXPECT_EQ(*(*stream)->ReadLine(), std::optional<std::string>("{\"status\":\"two\"}"));
  EXPECT_EQ(*(*stream)->ReadLine(), std::nullopt);

  Result<Hijacked> h = client.Hijack({.method = "POST", .path = "/hijack"});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->status, 101);
  ASSERT_EQ(write(h->fd.get(), "hello", 5), 5);
  ASSERT_EQ(shutdown(h->fd.get(), SHUT_WR), 0);  // reaches the server as close_notify
  std::string got = h->already_read;
  char data[256];
  ssize_t n;
  while ((n = read(h->fd.get(), data, sizeof(data))) > 0) got.append(data, static_cast<size_t>(n));
  EXPECT_EQ(got, "HELLO|bye");
}

TEST_F(ClientTest, TlsRefusesAServerItCannotVerifyAndIsRefusedWithoutACertificate) {
  Start("1.45", /*tcp=*/true, /*tls=*/true);
  // The system's CAs do not know the test CA.
  Client unverified = Make("", http::TlsClientConfig{.verify = true});
  Result<Response> r = unverified.Ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("certificate verify failed"), std::string::npos)
      << r.error().message();
  // TLS 1.3 tells a client without a certificate only at its first read: the reason is still
  // given, not "Is the docker daemon running?".
  Client anonymous = Make("", http::TlsClientConfig{.verify = true, .ca_file = TestData("ca.pem")});
  r = anonymous.Ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("certificate required"), std::string::npos)
      << r.error().message();
}

TEST(ClientCreateTest, RefusesMalformedHostsAndVersions) {
  EXPECT_TRUE(Client::Create({}));
  EXPECT_EQ(Client::Create({}).value().host(), std::string(kDefaultHost));
  EXPECT_FALSE(Client::Create({.host = "ssh://x"}));
  EXPECT_FALSE(Client::Create({.host = "tcp://host:port"}));
  EXPECT_TRUE(Client::Create({.host = "tcp://noport"}));  // docker's 2375
  Result<Client> missing_ca = Client::Create(
      {.host = "tcp://host:2376", .tls = http::TlsClientConfig{.ca_file = "/nonexistent/ca.pem"}});
  ASSERT_FALSE(missing_ca);
  EXPECT_EQ(missing_ca.error().message(),
            "open TLS CA certificate /nonexistent/ca.pem: No such file or directory");
  EXPECT_FALSE(Client::Create({.host = "unix://"}));
  Result<Client> bad = Client::Create({.api_version = "1.x"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid API version \"1.x\": want MAJOR.MINOR");
}

TEST(ClientCreateTest, UnreachableDaemonIsDockersMessage) {
  TempDir dir = TempDir::Make("berth-client-test").value();
  Result<Client> client = Client::Create({.host = "unix://" + (dir / "none.sock")});
  ASSERT_TRUE(client);
  Result<Response> r = client->Do({.path = "/info"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "Cannot connect to the Docker daemon at unix://" +
                                     (dir / "none.sock") + ". Is the docker daemon running?");
}

TEST(ClientQueryTest, EncodesAsGo) {
  EXPECT_EQ(EncodeQuery({{"filters", "{\"a\":{\"b\":true}}"}, {"x", "1 2"}}),
            "filters=%7B%22a%22%3A%7B%22b%22%3Atrue%7D%7D&x=1+2");
}

}  // namespace
}  // namespace berth::client
