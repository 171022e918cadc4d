#include "cli/json_stream.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::json;

TEST(JsonMessagePrinterTest, NonTerminalShowsStatusAndStreamLinesOnly) {
  JsonMessagePrinter p(false, 200);
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
  JsonMessagePrinter p(true, 120);
  std::string first = *p.Print(json::parse(
      R"({"status":"Loading layer","id":"a","progressDetail":{"current":1000,"total":2000}})"));
  EXPECT_EQ(first, "\n\x1b[1A\x1b[2K\ra: Loading layer [=========================>" +
                       std::string(25, ' ') + "]      1kB/2kB\r\x1b[1B");
  std::string second = *p.Print(json::parse(
      R"({"status":"Loading layer","id":"b","progressDetail":{"current":2000,"total":2000}})"));
  EXPECT_EQ(second.substr(0, 5), "\n\x1b[1A");
  // Back up two lines to redraw the first id.
  std::string again = *p.Print(json::parse(R"({"status":"Done","id":"a","progressDetail":{}})"));
  EXPECT_EQ(again, "\x1b[2A\x1b[2K\ra: Done \r\x1b[2B");
}

TEST(JsonMessagePrinterTest, NarrowTerminalsShowSizesWithoutBars) {
  JsonMessagePrinter p(true, 80);
  std::string line = *p.Print(json::parse(
      R"({"status":"Loading layer","id":"a","progressDetail":{"current":1049000,"total":2130000}})"));
  EXPECT_NE(line.find("a: Loading layer  1.049MB/2.13MB\r"), std::string::npos) << line;
}

TEST(JsonMessagePrinterTest, ErrorMessagesAreErrors) {
  JsonMessagePrinter p(false, 200);
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
