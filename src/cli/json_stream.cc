#include "cli/json_stream.h"

#include <fmt/format.h>

#include <cstdio>

#include "api/types/json_message.h"

namespace berth::cli {

namespace {

std::string StringField(const nlohmann::json& m, const char* key) {
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ProgressText is the bar of a message with progress details ("" when it has none).
std::string ProgressText(const nlohmann::json& m) {
  auto detail = m.find("progressDetail");
  if (detail == m.end() || !detail->is_object() || detail->empty()) {
    return StringField(m, "progress");
  }
  int64_t current = detail->value("current", int64_t{0});
  int64_t total = detail->value("total", int64_t{0});
  return api::types::ProgressBar(current, total);
}

bool HasProgress(const nlohmann::json& m) {
  auto detail = m.find("progressDetail");
  return (detail != m.end() && detail->is_object() && !detail->empty()) ||
         !StringField(m, "progress").empty();
}

}  // namespace

Result<std::string> JsonMessagePrinter::Print(const nlohmann::json& m) {
  if (m.contains("errorDetail") || m.contains("error")) {
    std::string message = StringField(m, "error");
    if (message.empty() && m.contains("errorDetail") && m["errorDetail"].is_object()) {
      message = StringField(m["errorDetail"], "message");
    }
    return Fail(ErrorKind::kUnknown, message);
  }
  if (m.contains("aux")) return std::string();
  const std::string id = StringField(m, "id");
  const bool progress = HasProgress(m);
  std::string out;
  size_t diff = 0;
  if (!id.empty() && progress) {
    auto it = std::find(ids_.begin(), ids_.end(), id);
    size_t line = static_cast<size_t>(it - ids_.begin());
    if (it == ids_.end()) {
      ids_.push_back(id);
      if (terminal_) out += "\n";
    }
    diff = ids_.size() - line;
    if (terminal_) out += fmt::format("\x1b[{}A", diff);
  } else {
    ids_.clear();
  }
  const std::string stream = StringField(m, "stream");
  std::string endl;
  if (terminal_ && stream.empty() && progress) {
    out += "\x1b[2K\r";
    endl = "\r";
  } else if (progress && !ProgressText(m).empty()) {
    return std::string();  // bars only on a terminal
  }
  if (!id.empty()) out += id + ": ";
  const std::string status = StringField(m, "status");
  if (progress && terminal_) {
    out += status + " " + ProgressText(m) + endl;
  } else if (!stream.empty()) {
    out += stream + endl;
  } else {
    out += status + endl + "\n";
  }
  if (!id.empty() && terminal_ && diff > 0) out += fmt::format("\x1b[{}B", diff);
  return out;
}

Status DisplayJsonStream(client::ResponseStream& stream, bool terminal, std::FILE* out) {
  JsonMessagePrinter printer(terminal);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> line, stream.ReadLine());
    if (!line) return Ok();
    if (line->empty()) continue;
    nlohmann::json message = nlohmann::json::parse(*line, nullptr, false);
    if (!message.is_object()) {
      return Fail(ErrorKind::kDataLoss, "read progress: the daemon sent malformed JSON");
    }
    BERTH_ASSIGN_OR_RETURN(std::string text, printer.Print(message));
    if (out == nullptr) continue;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  }
}

Result<std::string> FiltersJson(const std::vector<std::string>& filters) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const std::string& filter : filters) {
    size_t eq = filter.find('=');
    if (eq == std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("bad format of filter (expected name=value)"));
    }
    std::string key = filter.substr(0, eq);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[key][filter.substr(eq + 1)] = true;
  }
  return out.dump();
}

}  // namespace berth::cli
