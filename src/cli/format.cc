#include "cli/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "base/strings.h"
#include "cli/template.h"

namespace berth::cli {

namespace {

// A cell of a line: its text and its width in characters (UTF-8 runes).
struct Cell {
  std::string text;
  int width = 0;
};

int RuneCount(std::string_view s) {
  return static_cast<int>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

class Aligner {
 public:
  Aligner(std::vector<std::vector<Cell>> lines, int min_width, int padding)
      : lines_(std::move(lines)), min_width_(min_width), padding_(padding) {}

  std::string Run() {
    Format(0, lines_.size());
    return out_;
  }

 private:
  // Format follows tabwriter's recursion: a column block is a run of consecutive lines that have
  // a tab-terminated cell in the current column; its width is its widest cell plus padding.
  void Format(size_t line0, size_t line1) {
    const size_t column = widths_.size();
    for (size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines_[i].size()) continue;
      WriteLines(line0, i);
      line0 = i;
      int width = min_width_;
      for (; i < line1; ++i) {
        if (column + 1 >= lines_[i].size()) break;
        width = std::max(width, lines_[i][column].width + padding_);
      }
      widths_.push_back(width);
      Format(line0, i);
      widths_.pop_back();
      line0 = i;
      if (i >= line1) return;
    }
    WriteLines(line0, line1);
  }

  void WriteLines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const std::vector<Cell>& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out_ += line[j].text;
        if (j < widths_.size() && j + 1 < line.size()) {
          out_.append(static_cast<size_t>(std::max(0, widths_[j] - line[j].width)), ' ');
        }
      }
      if (i + 1 < lines_.size() || has_final_newline_) out_ += '\n';
    }
  }

 public:
  bool has_final_newline_ = true;

 private:
  std::vector<std::vector<Cell>> lines_;
  int min_width_;
  int padding_;
  std::vector<int> widths_;
  std::string out_;
};

}  // namespace

std::string TabWrite(std::string_view text, int min_width, int padding) {
  std::vector<std::vector<Cell>> lines;
  bool final_newline = !text.empty() && text.back() == '\n';
  if (final_newline) text.remove_suffix(1);
  for (const std::string& line : Split(text, '\n')) {
    std::vector<Cell> cells;
    for (const std::string& cell : Split(line, '\t')) cells.push_back({cell, RuneCount(cell)});
    lines.push_back(std::move(cells));
  }
  if (text.empty() && !final_newline) return "";
  Aligner aligner(std::move(lines), min_width, padding);
  aligner.has_final_newline_ = final_newline;
  return aligner.Run();
}

std::string HumanDuration(std::chrono::seconds duration) {
  const int64_t seconds = duration.count();
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  const int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  const auto hours = static_cast<int64_t>(std::round(static_cast<double>(seconds) / 3600.0));
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", seconds / 3600 / 24 / 365);
}

std::string TimeAgo(int64_t unix_seconds) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return HumanDuration(now - std::chrono::seconds(unix_seconds)) + " ago";
}

std::string GoTimeString(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[64];
  size_t size = strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return std::string(text, size);
}

std::string TruncateId(std::string_view id) {
  size_t colon = id.find(':');
  if (colon != std::string_view::npos) id.remove_prefix(colon + 1);
  return std::string(id.substr(0, 12));
}

OutputFormat ParseFormat(std::string_view format, std::string_view default_table) {
  std::string text(TrimSpace(format));
  OutputFormat out;
  if (text.empty() || text == "table") {
    text = std::string(default_table);
  } else if (text == "json") {
    text = "{{json .}}";
  }
  if (text.starts_with("table")) {
    out.table = true;
    text = text.substr(5);
  }
  text = std::string(TrimSpace(text));
  std::string body;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      body += text[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      body += text[i];
    }
  }
  out.body = std::move(body);
  return out;
}

Result<std::string> RenderRows(const OutputFormat& format,
                               const std::vector<nlohmann::ordered_json>& rows,
                               const nlohmann::ordered_json& headers, bool strict_fields) {
  BERTH_ASSIGN_OR_RETURN(Template tmpl, Template::Parse(format.body));
  std::string text;
  if (format.table) {
    // Fields without a title of their own keep an empty header cell.
    Result<std::string> header = tmpl.Execute(headers, false);
    if (header) text += *header + "\n";
  }
  for (const nlohmann::ordered_json& row : rows) {
    BERTH_ASSIGN_OR_RETURN(std::string line, tmpl.Execute(row, strict_fields));
    text += line + "\n";
  }
  return format.table ? TabWrite(text) : text;
}

}  // namespace berth::cli
