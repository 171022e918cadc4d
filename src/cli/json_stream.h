// Showing docker's JSON message stream (load, import, pull) as docker's CLI does
// (jsonmessage.DisplayJSONMessagesStream): on a terminal, progress bars redrawn in place, one line
// per layer id; elsewhere, status lines only. Also the filters flag → JSON mapping the list and
// prune endpoints take.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/client.h"

namespace berth::cli {

// RenderJsonMessage renders one message as docker does; ids maps the layer ids seen so far to
// their line (cursor movement on a terminal). An {"error"} message is returned as an Error
// carrying its text.
class JsonMessagePrinter {
 public:
  // width is the terminal's columns (bars need more than 110).
  JsonMessagePrinter(bool terminal, int width) : terminal_(terminal), width_(width) {}
  // Print returns the text to write for one message line of the stream.
  Result<std::string> Print(const nlohmann::json& message);

 private:
  bool terminal_;
  int width_;
  std::vector<std::string> ids_;
};

// DisplayJsonStream reads every message line of a stream and writes it to out (nullptr: only
// an error in the stream matters).
Status DisplayJsonStream(client::ResponseStream& stream, bool terminal, std::FILE* out = stdout);

// FiltersJson turns --filter values ("key=value") into the Engine API's filters parameter
// ({"key":{"value":true}}); a value without '=' is kInvalidArgument, as docker words it.
Result<std::string> FiltersJson(const std::vector<std::string>& filters);

}  // namespace berth::cli
