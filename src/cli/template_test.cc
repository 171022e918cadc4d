#include "cli/template.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::ordered_json;

std::string Render(std::string_view text, const ordered_json& data, bool strict = false) {
  Result<Template> t = Template::Parse(text);
  if (!t) return "parse error: " + t.error().message();
  Result<std::string> out = t->Execute(data, strict);
  if (!out) return "exec error: " + out.error().message();
  return *out;
}

const ordered_json kImage = ordered_json::parse(R"({
  "Id": "sha256:abc", "RepoTags": ["bb:1", "bb:2"], "Size": 2129920,
  "Config": {"Cmd": ["/bin/sh", "-c"], "Env": null, "Labels": {"b": "2", "a": "1"}},
  "Ratio": 1.5, "Empty": "", "Flag": true, "ApiVersion": "1.45"
})");

TEST(TemplateTest, FieldPathsPrintAsGoPrintsDecodedJson) {
  EXPECT_EQ(Render("{{.Id}} {{.Size}} {{.Ratio}} {{.Flag}}", kImage),
            "sha256:abc 2129920 1.5 true");
  EXPECT_EQ(Render("{{.Config.Cmd}}", kImage), "[/bin/sh -c]");
  EXPECT_EQ(Render("{{.Config.Labels}}", kImage), "map[a:1 b:2]");
  EXPECT_EQ(Render("{{.Config.Env}}|{{.Missing}}|{{.Config.Missing.Deeper}}", kImage),
            "<no value>|<no value>|<no value>");
  EXPECT_EQ(Render("literal only", kImage), "literal only");
}

TEST(TemplateTest, FieldNamesMatchJsonKeysIgnoringCase) {
  EXPECT_EQ(Render("{{.APIVersion}}", kImage), "1.45");
}

TEST(TemplateTest, StrictFieldsRefuseUnknownNames) {
  std::string out = Render("{{.Foo}}", kImage, /*strict=*/true);
  EXPECT_NE(out.find("exec error"), std::string::npos) << out;
  EXPECT_NE(out.find("can't evaluate field Foo"), std::string::npos) << out;
}

TEST(TemplateTest, JsonFunction) {
  EXPECT_EQ(Render("{{json .Config.Cmd}}", kImage), R"(["/bin/sh","-c"])");
  EXPECT_EQ(Render("{{json .Config.Env}}", kImage), "null");
  EXPECT_EQ(Render("{{json .Tag}}", ordered_json{{"Tag", "a<b>&"}}), R"("a<b>&")");
  // Rows of typed contexts marshal themselves, escaping as encoding/json does.
  EXPECT_EQ(Render("{{json .}}", ordered_json{{"Tag", "<none>"}}, /*strict=*/true),
            R"({"Tag":"\u003cnone\u003e"})");
}

TEST(TemplateTest, StringFunctions) {
  EXPECT_EQ(Render(R"({{join .RepoTags ", "}})", kImage), "bb:1, bb:2");
  EXPECT_EQ(Render("{{upper .Id}} {{lower \"AbC\"}} {{title \"hello world\"}}", kImage),
            "SHA256:ABC abc Hello World");
  EXPECT_EQ(Render(R"({{split "a:b:c" ":"}})", kImage), "[a b c]");
  EXPECT_EQ(Render(R"({{truncate .Id 6}}|{{pad "x" 1 2}}|{{pad "" 1 2}})", kImage), "sha256| x  |");
  EXPECT_EQ(Render("{{.Id | upper}}", kImage), "SHA256:ABC");
  EXPECT_EQ(Render("{{len .RepoTags}}", kImage), "2");
}

TEST(TemplateTest, Index) {
  EXPECT_EQ(Render(R"({{index .Config.Labels "a"}})", kImage), "1");
  EXPECT_EQ(Render(R"({{index .RepoTags 1}})", kImage), "bb:2");
  EXPECT_EQ(Render(R"({{index .Config.Labels "zz"}})", kImage), "<no value>");
  EXPECT_NE(Render(R"({{index .RepoTags 5}})", kImage).find("out of range"), std::string::npos);
}

TEST(TemplateTest, Blocks) {
  EXPECT_EQ(Render("{{range .RepoTags}}[{{.}}]{{end}}", kImage), "[bb:1][bb:2]");
  EXPECT_EQ(Render("{{range .Config.Labels}}{{.}}{{end}}", kImage), "12");
  EXPECT_EQ(Render("{{range .Nothing}}x{{else}}none{{end}}", kImage), "none");
  EXPECT_EQ(Render("{{if .Empty}}yes{{else}}no{{end}} {{if .Flag}}yes{{end}}", kImage), "no yes");
  EXPECT_EQ(Render("{{with .Config}}{{.Cmd}}{{end}}", kImage), "[/bin/sh -c]");
  EXPECT_EQ(Render(R"({{if eq .Id "sha256:abc"}}same{{end}})", kImage), "same");
  EXPECT_EQ(Render("{{if and .Flag (not .Empty)}}ok{{end}}", kImage), "ok");
  EXPECT_EQ(Render("{{if gt .Size 1000}}big{{end}}", kImage), "big");
}

TEST(TemplateTest, TrimMarkers) { EXPECT_EQ(Render("a  {{- .Id -}}  b", kImage), "asha256:abcb"); }

TEST(TemplateTest, BadTemplatesAreClearErrors) {
  EXPECT_EQ(Render("{{foo .}}", kImage),
            "parse error: template parsing error: template: :1: function \"foo\" not defined");
  EXPECT_NE(Render("{{.Id", kImage).find("unclosed action"), std::string::npos);
  EXPECT_NE(Render("{{if .Id}}x", kImage).find("unexpected EOF"), std::string::npos);
  EXPECT_NE(Render("{{end}}", kImage).find("unexpected {{end}}"), std::string::npos);
  EXPECT_NE(Render("{{\"abc}}", kImage).find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(Render("{{.Id .Size}}", kImage).find("can't give argument to non-function"),
            std::string::npos);
  EXPECT_NE(Render("{{range .Id}}{{end}}", kImage).find("can't iterate"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
