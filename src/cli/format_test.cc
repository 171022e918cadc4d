#include "cli/format.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::ordered_json;

TEST(TabWriteTest, AlignsColumnsAsDockerTables) {
  // Widths: max(cell + 3, 10); the last cell is not padded.
  EXPECT_EQ(TabWrite("REPOSITORY\tTAG\tIMAGE ID\nbb\t1\t8e01ddaa0dc5\n"
                     "reg.local:5000/team/bb\t2\t8e01ddaa0dc5\n"),
            "REPOSITORY               TAG       IMAGE ID\n"
            "bb                       1         8e01ddaa0dc5\n"
            "reg.local:5000/team/bb   2         8e01ddaa0dc5\n");
  EXPECT_EQ(TabWrite("a\tb\n"), "a         b\n");
  EXPECT_EQ(TabWrite(""), "");
}

TEST(TabWriteTest, CountsCharactersNotBytes) {
  EXPECT_EQ(TabWrite("é\tx\nab\ty\n"), "é         x\nab        y\n");
}

TEST(TabWriteTest, ColumnBlocksEndAtLinesWithoutTheColumn) {
  EXPECT_EQ(TabWrite("aaaaaaaaaaaaaa\tb\nno tabs\nc\td\n"),
            "aaaaaaaaaaaaaa   b\nno tabs\nc         d\n");
}

TEST(HumanDurationTest, MatchesGoUnits) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(0)), "Less than a second");
  EXPECT_EQ(HumanDuration(seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(seconds(59)), "59 seconds");
  EXPECT_EQ(HumanDuration(seconds(60)), "About a minute");
  EXPECT_EQ(HumanDuration(seconds(61 * 60 - 1)), "About an hour");
  EXPECT_EQ(HumanDuration(seconds(45 * 60)), "45 minutes");
  EXPECT_EQ(HumanDuration(seconds(2 * 3600)), "2 hours");
  EXPECT_EQ(HumanDuration(seconds(3 * 86400)), "3 days");
  EXPECT_EQ(HumanDuration(seconds(20 * 86400)), "2 weeks");
  EXPECT_EQ(HumanDuration(seconds(90 * 86400)), "3 months");
  EXPECT_EQ(HumanDuration(seconds(3 * 365 * 86400)), "3 years");
}

TEST(FormatTest, TruncateId) {
  EXPECT_EQ(TruncateId("sha256:8e01ddaa0dc5bd4b660d5b98"), "8e01ddaa0dc5");
  EXPECT_EQ(TruncateId("8e01ddaa0dc5bd4b660d5b98"), "8e01ddaa0dc5");
  EXPECT_EQ(TruncateId("short"), "short");
}

TEST(FormatTest, ParseFormatResolvesDirectivesAndEscapes) {
  OutputFormat f = ParseFormat("", "table {{.ID}}\\t{{.Size}}");
  EXPECT_TRUE(f.table);
  EXPECT_EQ(f.body, "{{.ID}}\t{{.Size}}");
  f = ParseFormat("json", "table x");
  EXPECT_FALSE(f.table);
  EXPECT_EQ(f.body, "{{json .}}");
  f = ParseFormat("{{.ID}}\\n", "table x");
  EXPECT_FALSE(f.table);
  EXPECT_EQ(f.body, "{{.ID}}\n");
  EXPECT_TRUE(ParseFormat("table", "table {{.A}}").table);
}

TEST(FormatTest, RenderRowsWithHeader) {
  std::vector<ordered_json> rows = {{{"ID", "abc"}, {"Size", "1MB"}},
                                    {{"ID", "defdefdefdefdef"}, {"Size", "20MB"}}};
  ordered_json headers = {{"ID", "IMAGE ID"}, {"Size", "SIZE"}};
  Result<std::string> out = RenderRows(ParseFormat("table {{.ID}}\\t{{.Size}}", ""), rows, headers);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out,
            "IMAGE ID          SIZE\n"
            "abc               1MB\n"
            "defdefdefdefdef   20MB\n");
  out = RenderRows(ParseFormat("{{.ID}}", ""), rows, headers);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "abc\ndefdefdefdefdef\n");
  out = RenderRows(ParseFormat("{{.Nope}}", ""), rows, headers);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("can't evaluate field Nope"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
