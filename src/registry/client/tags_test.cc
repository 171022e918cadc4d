#include "registry/client/tags.h"

#include <gtest/gtest.h>

namespace berth::registry::client {
namespace {

TEST(NextLink, FindsTheNextPage) {
  EXPECT_EQ(NextLink(R"(</v2/a/tags/list?n=2&last=b>; rel="next")"), "/v2/a/tags/list?n=2&last=b");
  EXPECT_EQ(NextLink(R"(</v2/a/tags/list?n=1>; rel="prev", </v2/a/tags/list?last=c>; rel="next")"),
            "/v2/a/tags/list?last=c");
  EXPECT_EQ(NextLink("<https://r.example/v2/a/tags/list?last=z>; rel=next"),
            "https://r.example/v2/a/tags/list?last=z");
}

TEST(NextLink, NoneWithoutANextRelation) {
  EXPECT_EQ(NextLink(""), std::nullopt);
  EXPECT_EQ(NextLink(R"(</v2/a/tags/list?n=1>; rel="prev")"), std::nullopt);
  EXPECT_EQ(NextLink("garbage"), std::nullopt);
  EXPECT_EQ(NextLink(R"(</v2/a/tags/list; rel="next")"), std::nullopt);
}

}  // namespace
}  // namespace berth::registry::client
