// The subset of Go's text/template that docker's --format flags are written in, evaluated over
// JSON values: text and {{actions}} (with {{- and -}} trimming), field paths (.A.B, .), string,
// number and boolean literals, pipelines (a | f), parenthesized pipelines, {{if}}/{{else}},
// {{range}} and {{with}} blocks, and the functions users write: json, join, split, lower, upper,
// title, index, len, eq, ne, lt, le, gt, ge, not, and, or, print, println, pad, truncate.
// Values print as Go's fmt prints what encoding/json decodes: arrays "[a b]", objects
// "map[k:v]" with sorted keys, a missing map key "<no value>". A Template is immutable after
// Parse and may be executed from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace berth::cli {

struct TemplateNode;

class Template {
 public:
  // Parse compiles text; a syntax error or an unknown function is kInvalidArgument
  // ("template parsing error: template: :1: function \"foo\" not defined").
  static Result<Template> Parse(std::string_view text);

  // Execute renders the template with dot = data. With strict_fields, a field missing from an
  // object is an error (docker's typed contexts: images, ps) instead of "<no value>".
  Result<std::string> Execute(const nlohmann::ordered_json& data, bool strict_fields = false) const;

 private:
  explicit Template(std::shared_ptr<const TemplateNode> root) : root_(std::move(root)) {}
  std::shared_ptr<const TemplateNode> root_;
};

// PrintValue renders a value as Go's fmt.Sprint does for what encoding/json decodes.
std::string PrintValue(const nlohmann::ordered_json& value);
// JsonValue renders a value as docker's json template function does (compact, no HTML escaping).
std::string JsonValue(const nlohmann::ordered_json& value);
// EscapeHtml escapes <, > and & in JSON text as encoding/json's Marshal does.
std::string EscapeHtml(std::string_view json);

}  // namespace berth::cli
