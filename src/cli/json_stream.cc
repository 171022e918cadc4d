#include "cli/json_stream.h"

#include <fmt/format.h>

#include <sys/ioctl.h>

#include <algorithm>
#include <cstdio>

#include "base/strings.h"

namespace berth::cli {

namespace {

std::string StringField(const nlohmann::json& m, const char* key) {
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Count(const nlohmann::json& detail, const char* key) {
  auto it = detail.find(key);
  return it != detail.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// ProgressText renders progressDetail as docker's JSONProgress.String() does on a terminal of
// width columns: the 50-column bar only when wider than 110 columns, then "%8v/%v" sizes.
std::string ProgressText(const nlohmann::json& detail, int width) {
  const int64_t current = Count(detail, "current");
  const int64_t total = Count(detail, "total");
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return fmt::format("{:>8}", HumanSize(current));
  const int percent = std::min(
      static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2, 50);
  std::string bar;
  if (width > 110) {
    bar = "[" + std::string(static_cast<size_t>(percent), '=') + ">" +
          std::string(static_cast<size_t>(50 - percent), ' ') + "] ";
  }
  if (current > total) return bar + fmt::format("{:>8}", HumanSize(current));
  return bar + fmt::format("{:>8}/{}", HumanSize(current), HumanSize(total));
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
  // As docker decodes it: an object under progressDetail (even empty) is a progress message.
  auto detail = m.find("progressDetail");
  const bool has_progress = detail != m.end() && detail->is_object();
  const std::string progress = has_progress ? ProgressText(*detail, width_) : "";
  const std::string progress_message = StringField(m, "progress");
  std::string out;
  size_t diff = 0;
  if (!id.empty() && (has_progress || !progress_message.empty())) {
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
  const std::string status = StringField(m, "status");
  std::string endl;
  if (terminal_ && stream.empty() && has_progress) {
    out += "\x1b[2K\r";
    endl = "\r";
  } else if (has_progress && !progress.empty()) {
    return std::string();  // bars only on a terminal
  }
  if (!id.empty()) out += id + ": ";
  if (has_progress && terminal_) {
    out += status + " " + progress + endl;
  } else if (!progress_message.empty()) {
    out += status + " " + progress_message + endl;
  } else if (!stream.empty()) {
    out += stream + endl;
  } else {
    out += status + endl + "\n";
  }
  if (!id.empty() && terminal_) out += fmt::format("\x1b[{}B", diff);
  return out;
}

Status DisplayJsonStream(client::ResponseStream& stream, bool terminal, std::FILE* out) {
  // Docker sizes its bars to the terminal, assuming 200 columns when it cannot ask.
  int width = 200;
  winsize size{};
  if (out != nullptr && ioctl(fileno(out), TIOCGWINSZ, &size) == 0) width = size.ws_col;
  JsonMessagePrinter printer(terminal, width);
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
