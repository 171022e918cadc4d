#include <gtest/gtest.h>

#include <map>
#include <string>

#include "http/server.h"

namespace berth::http {
namespace {

using Params = std::map<std::string, std::string>;

// Each route's handler answers with the route's own name, so a match says which route won.
class RouterTest : public ::testing::Test {
 protected:
  void Add(const std::string& method, const std::string& pattern) {
    router_.Add(method, pattern, [name = method + " " + pattern](Request&, ResponseWriter& w) {
      return w.Send(200, "text/plain", name);
    });
  }

  // Route returns the name of the route matched, or the error's kind name.
  std::string Route(std::string_view method, std::string_view path, Params* params = nullptr) {
    Params scratch;
    Result<const Handler*> handler = router_.Match(method, path, params ? params : &scratch);
    if (!handler) return std::string(ErrorKindName(handler.error().kind()));
    Recorder recorder;
    Request request;
    EXPECT_TRUE((**handler)(request, recorder));
    return recorder.body;
  }

  struct Recorder : ResponseWriter {
    Status Send(int, std::string_view, std::string_view b, const Headers&) override {
      body = std::string(b);
      return Ok();
    }
    Status BeginStream(int, std::string_view, const Headers&) override { return Ok(); }
    Status BeginBody(int, std::string_view, uint64_t, const Headers&) override { return Ok(); }
    Status Write(std::string_view) override { return Ok(); }
    Status End() override { return Ok(); }
    Result<UniqueFd> Hijack(std::string_view, std::string*) override { return UniqueFd(); }
    bool started() const override { return !body.empty(); }
    std::string body;
  };

  Router router_;
};

TEST_F(RouterTest, LiteralSegmentsWinOverCaptures) {
  Add("GET", "/containers/{id}");
  Add("GET", "/containers/json");
  Add("GET", "/containers/{id}/json");
  EXPECT_EQ(Route("GET", "/containers/json"), "GET /containers/json");
  Params params;
  EXPECT_EQ(Route("GET", "/containers/abc", &params), "GET /containers/{id}");
  EXPECT_EQ(params, Params({{"id", "abc"}}));
  EXPECT_EQ(Route("GET", "/containers/json/json", &params), "GET /containers/{id}/json");
  EXPECT_EQ(params, Params({{"id", "json"}}));
}

TEST_F(RouterTest, GreedyCaptureTakesNamesWithSlashesAndTags) {
  Add("GET", "/images/{name:.*}/json");
  Add("POST", "/images/{name:.*}/tag");
  Add("DELETE", "/images/{name:.*}");
  Params params;
  EXPECT_EQ(Route("GET", "/images/docker.io/library/busybox:latest/json", &params),
            "GET /images/{name:.*}/json");
  EXPECT_EQ(params, Params({{"name", "docker.io/library/busybox:latest"}}));
  // The longest capture that leaves the rest matching.
  EXPECT_EQ(Route("GET", "/images/a/json/json", &params), "GET /images/{name:.*}/json");
  EXPECT_EQ(params["name"], "a/json");
  EXPECT_EQ(Route("POST", "/images/localhost:5000/app@sha256:ab/tag", &params),
            "POST /images/{name:.*}/tag");
  EXPECT_EQ(params["name"], "localhost:5000/app@sha256:ab");
  EXPECT_EQ(Route("DELETE", "/images/a/b/json", &params), "DELETE /images/{name:.*}");
  EXPECT_EQ(params["name"], "a/b/json");
  // A capture is never empty.
  EXPECT_EQ(Route("DELETE", "/images/"), "not found");
  EXPECT_EQ(Route("GET", "/images/json"), "failed precondition");  // DELETE would take it
}

TEST_F(RouterTest, UnmatchedPathIsNotFoundAndOtherMethodIsNotAllowed) {
  Add("GET", "/_ping");
  Add("HEAD", "/_ping");
  Add("GET", "/containers/{id}/json");
  EXPECT_EQ(Route("GET", "/_ping"), "GET /_ping");
  EXPECT_EQ(Route("HEAD", "/_ping"), "HEAD /_ping");
  EXPECT_EQ(Route("POST", "/_ping"), "failed precondition");
  EXPECT_EQ(Route("GET", "/_ping/"), "not found");
  EXPECT_EQ(Route("GET", "/containers/x"), "not found");
  EXPECT_EQ(Route("GET", "/containers//json"), "not found");
  EXPECT_EQ(Route("GET", ""), "not found");
  EXPECT_EQ(Route("GET", "/"), "not found");
}

TEST_F(RouterTest, FirstAddedWinsBetweenEquallyPreciseRoutes) {
  Add("GET", "/a/{x}");
  Add("GET", "/a/{y}");
  Params params;
  EXPECT_EQ(Route("GET", "/a/1", &params), "GET /a/{x}");
  EXPECT_EQ(params, Params({{"x", "1"}}));
}

}  // namespace
}  // namespace berth::http
