#include "cli/inspect.h"

#include "base/strings.h"
#include "cli/format.h"
#include "cli/template.h"

namespace berth::cli {

std::string IndentJson(const std::vector<nlohmann::ordered_json>& values) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& value : values) array.push_back(value);
  return array.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<int> InspectEach(Cli& cli, const std::vector<std::string>& names, const std::string& format,
                        const InspectFetch& fetch) {
  std::optional<Template> tmpl;
  if (!format.empty()) {
    OutputFormat parsed = ParseFormat(format, "");
    BERTH_ASSIGN_OR_RETURN(tmpl, Template::Parse(parsed.body));
  }
  std::vector<nlohmann::ordered_json> found;
  std::vector<std::string> errors;
  for (const std::string& name : names) {
    Result<nlohmann::ordered_json> value = fetch(name);
    if (!value) {
      errors.push_back(value.error().message());
      continue;
    }
    if (tmpl) {
      BERTH_ASSIGN_OR_RETURN(std::string line, tmpl->Execute(*value));
      cli.Out(line + "\n");
    } else {
      found.push_back(std::move(*value));
    }
  }
  if (!tmpl) cli.Out(IndentJson(found));
  if (errors.empty()) return 0;
  return Fail(ErrorKind::kNotFound, Join(errors, "\n"));
}

}  // namespace berth::cli
