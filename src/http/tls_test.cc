// TLS on the server's TCP listeners, over real sockets on 127.0.0.1: the handshake with and
// without a client certificate, plain HTTP sent to a TLS port, keep-alive, chunked bodies both
// ways and a hijacked connection (relayed, with half-closes) over TLS, and the errors for TLS
// files that cannot be used. The certificates are testdata/tls: a CA (ca.pem, its key thrown
// away), a server certificate for 127.0.0.1 and localhost, a client certificate, each made with
// `openssl req -newkey ec` and `openssl x509 -req -CA`, valid for a century.
#include "http/tls.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "base/temp_dir.h"
#include "http/server.h"
#include "http/test_client.h"

namespace berth::http {
namespace {

std::string TestData(const std::string& name) {
  const char* root = std::getenv("BERTH_SOURCE_DIR");
  return std::string(root != nullptr ? root : ".") + "/src/http/testdata/tls/" + name;
}

TlsServerConfig ServerFiles(bool verify_clients) {
  return {.cert_file = TestData("server.pem"),
          .key_file = TestData("server.key"),
          .client_ca_file = verify_clients ? TestData("ca.pem") : ""};
}

std::shared_ptr<const TlsContext> ClientContext(bool with_certificate) {
  TlsClientConfig config{.verify = true, .ca_file = TestData("ca.pem")};
  if (with_certificate) {
    config.cert_file = TestData("client.pem");
    config.key_file = TestData("client.key");
  }
  Result<std::shared_ptr<const TlsContext>> context = TlsContext::Client(config);
  EXPECT_TRUE(context) << context.error().message();
  return context ? *context : nullptr;
}

class TlsServerTest : public ::testing::Test {
 protected:
  // The programs ignore SIGPIPE; so does the test, whose server writes to clients that left.
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }

  void TearDown() override {
    if (!server_) return;
    server_->Stop();
    thread_.join();
  }

  void Start(bool verify_clients) {
    Router router;
    router.Add("GET", "/_ping",
               [](Request&, ResponseWriter& w) { return w.Send(200, "text/plain", "OK"); });
    // /echo streams the request body back in one chunk, then "|end" in another.
    router.Add("POST", "/echo", [](Request& r, ResponseWriter& w) -> Status {
      BERTH_ASSIGN_OR_RETURN(std::string body, r.ReadBody());
      BERTH_TRY(w.BeginStream(200, "application/octet-stream"));
      BERTH_TRY(w.Write(body));
      BERTH_TRY(w.Write("|end"));
      return w.End();
    });
    // /hijack echoes upper-cased what arrives until the client ends its stream, then "|bye".
    router.Add("POST", "/hijack", [](Request&, ResponseWriter& w) -> Status {
      std::string got;
      BERTH_ASSIGN_OR_RETURN(UniqueFd fd, w.Hijack("application/vnd.docker.raw-stream", &got));
      char data[4096];
      ssize_t n;
      while ((n = read(fd.get(), data, sizeof(data))) > 0) got.append(data, static_cast<size_t>(n));
      for (char& c : got) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      got += "|bye";
      for (size_t done = 0; done < got.size();) {
        ssize_t written = write(fd.get(), got.data() + done, got.size() - done);
        if (written <= 0) return Fail(ErrnoNow("write"));
        done += static_cast<size_t>(written);
      }
      return Ok();
    });
    server_ = std::make_unique<Server>(std::move(router), ServerOptions{});
    Result<std::string> address =
        server_->Listen({.address = "tcp://127.0.0.1:0", .tls = ServerFiles(verify_clients)});
    ASSERT_TRUE(address) << address.error().message();
    port_ = std::atoi(address->substr(address->rfind(':') + 1).c_str());
    thread_ = std::thread([this] { server_->Serve(); });
  }

  TestClient Connect(bool with_certificate = true) {
    Result<TestClient> client =
        TestClient::ConnectTls("127.0.0.1", port_, *ClientContext(with_certificate));
    EXPECT_TRUE(client) << client.error().message();
    return std::move(*client);
  }

  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(TlsServerTest, ClientWithACertificateIsServedOnAKeptConnection) {
  Start(/*verify_clients=*/true);
  TestClient client = Connect();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.Send("GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"));
    RawResponse response = client.ReadResponse();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "OK");
  }
}

TEST_F(TlsServerTest, ClientWithoutACertificateIsRefused) {
  Start(/*verify_clients=*/true);
  // With TLS 1.3 the client may finish its handshake before the server refuses it; either way
  // no request is answered.
  Result<TestClient> client =
      TestClient::ConnectTls("127.0.0.1", port_, *ClientContext(/*with_certificate=*/false));
  if (!client) {
    EXPECT_NE(client.error().message().find("TLS"), std::string::npos) << client.error().message();
    return;
  }
  client->Send("GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n");
  EXPECT_EQ(client->ReadToEnd(), "");
}

TEST_F(TlsServerTest, WithoutAClientCaAnyClientIsServed) {
  Start(/*verify_clients=*/false);
  TestClient client = Connect(/*with_certificate=*/false);
  ASSERT_TRUE(client.Send("GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().status, 200);
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortIsToldWhatIsWrong) {
  Start(/*verify_clients=*/true);
  TestClient client = TestClient::ConnectTcp("127.0.0.1", port_);
  ASSERT_TRUE(client.Send("GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"));
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, "Client sent an HTTP request to an HTTPS server.\n");
}

TEST_F(TlsServerTest, ChunkedBodiesStreamBothWays) {
  Start(/*verify_clients=*/true);
  TestClient client = Connect();
  std::string sent;
  std::string request = "POST /echo HTTP/1.1\r\nHost: berth\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    std::string piece(10000, static_cast<char>('a' + i));
    sent += piece;
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  request += "0\r\n\r\n";
  ASSERT_TRUE(client.Send(request));
  RawResponse response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(response.body, sent + "|end");
}

TEST_F(TlsServerTest, HijackedConnectionIsRelayedBothWaysWithHalfCloses) {
  Start(/*verify_clients=*/true);
  TestClient client = Connect();
  ASSERT_TRUE(client.Send(
      "POST /hijack HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"));
  RawResponse head = client.ReadHead();
  EXPECT_EQ(head.status, 101);
  // More than the relay holds at once, so that both directions wait on each other.
  std::string sent(300000, 'x');
  sent += "hello";
  ASSERT_TRUE(client.Send(sent));
  client.CloseWrite();
  std::string expected(300000, 'X');
  EXPECT_EQ(client.ReadToEnd(), expected + "HELLO|bye");
}

TEST(TlsClientTest, ServerThatTheClientCannotVerifyIsRefused) {
  Server server(Router{}, ServerOptions{});
  Result<std::string> address =
      server.Listen({.address = "tcp://127.0.0.1:0", .tls = ServerFiles(false)});
  ASSERT_TRUE(address) << address.error().message();
  std::thread serving([&] { server.Serve(); });
  // The system's CAs do not know the test CA.
  Result<std::shared_ptr<const TlsContext>> context = TlsContext::Client({.verify = true});
  ASSERT_TRUE(context) << context.error().message();
  Result<TestClient> client = TestClient::ConnectTls(
      "127.0.0.1", std::atoi(address->substr(address->rfind(':') + 1).c_str()), **context);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message().find("certificate verify failed"), std::string::npos)
      << client.error().message();
  server.Stop();
  serving.join();
}

TEST(TlsContextTest, FilesThatCannotBeUsedAreNamed) {
  Result<std::shared_ptr<const TlsContext>> missing = TlsContext::Server(
      {.cert_file = "/nonexistent/cert.pem", .key_file = TestData("server.key")});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "open TLS certificate /nonexistent/cert.pem: No such file or directory");

  Result<std::shared_ptr<const TlsContext>> mismatched =
      TlsContext::Server({.cert_file = TestData("server.pem"), .key_file = TestData("client.key")});
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().message(), "TLS key " + TestData("client.key") +
                                              " does not match certificate " +
                                              TestData("server.pem"));

  Result<std::shared_ptr<const TlsContext>> not_pem =
      TlsContext::Server({.cert_file = TestData("server.key"), .key_file = TestData("server.key")});
  ASSERT_FALSE(not_pem);
  EXPECT_EQ(not_pem.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(not_pem.error().message().starts_with("load TLS certificate " +
                                                    TestData("server.key") + ": "))
      << not_pem.error().message();

  Result<std::shared_ptr<const TlsContext>> bad_ca =
      TlsContext::Server({.cert_file = TestData("server.pem"),
                          .key_file = TestData("server.key"),
                          .client_ca_file = TestData("missing-ca.pem")});
  ASSERT_FALSE(bad_ca);
  EXPECT_EQ(bad_ca.error().message(), "open TLS CA certificate " + TestData("missing-ca.pem") +
                                          ": No such file or directory");
}

TEST(TlsContextTest, ListenRefusesTlsOnUnixSocketsAndNamesBadFiles) {
  TempDir dir = TempDir::Make("berth-tls-test").value();
  Server server(Router{}, ServerOptions{});
  Result<std::string> on_unix =
      server.Listen({.address = "unix://" + (dir / "api.sock"), .tls = ServerFiles(true)});
  ASSERT_FALSE(on_unix);
  EXPECT_EQ(on_unix.error().kind(), ErrorKind::kInvalidArgument);
  Result<std::string> bad_key = server.Listen(
      {.address = "tcp://127.0.0.1:0",
       .tls = TlsServerConfig{.cert_file = TestData("server.pem"), .key_file = dir / "none.key"}});
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().message(), "listen on tcp://127.0.0.1:0: open TLS key " +
                                           (dir / "none.key") + ": No such file or directory");
}

}  // namespace
}  // namespace berth::http
