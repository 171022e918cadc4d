#include "cli/json_stream.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::json;

TEST(JsonMessagePrinterTest, NonTerminalShowsStatusAndStreamLinesOnly) {
  JsonMessagePrinter p(false);
  EXPECT_EQ(*p.Print(json::parse(R"({"stream":"Loaded image: bb:1\n"})")), "Loaded image: bb:1\n");
  EXPECT_EQ(*p.Print(json::parse(R"({"status":"sha256:abc"})")), "sha256:abc\n");
  EXPECT_EQ(
      *p.Print(json::parse(
          R"({"status":"Loading layer","id":"1f86","progressDetail":{"current":1,"total":2},"progress":"[==>  ]"})")),
      "");
  EXPECT_EQ(*p.Print(json::parse(R"({"status":"Done","id":"1f86","progressDetail":{}})")),
            "1f86: Done\n");
}

TEST(JsonMessagePrinterTest, TerminalRedrawsTheLineOfEachId) {
  JsonMessagePrinter p(true);
  std::string first = *p.Print(json::parse(
      R"({"status":"Loading layer","id":"a","progressDetail":{"current":1,"total":2}})"));
  EXPECT_EQ(first.substr(0, 5), "\n\x1b[1A");
  EXPECT_NE(first.find("a: Loading layer [="), std::string::npos) << first;
  EXPECT_EQ(first.substr(first.size() - 4), "\x1b[1B");
}

TEST(JsonMessagePrinterTest, ErrorMessagesAreErrors) {
  JsonMessagePrinter p(false);
  Result<std::string> out =
      p.Print(json::parse(R"({"errorDetail":{"message":"bad archive"},"error":"bad archive"})"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(), "bad archive");
}

TEST(FiltersJsonTest, MapsKeyValuePairs) {
  EXPECT_EQ(*FiltersJson({"reference=bb", "dangling=true", "reference=cc"}),
            R"({"reference":{"bb":true,"cc":true},"dangling":{"true":true}})");
  EXPECT_EQ(*FiltersJson({}), "{}");
  EXPECT_FALSE(FiltersJson({"novalue"}));
}

}  // namespace
}  // namespace berth::cli
