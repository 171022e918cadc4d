// Request's accessors: headers and query values by name, docker's booleans, and the body read
// whole or as JSON. The body itself comes from the connection (connection.cc).
#include <strings.h>

#include <string>

#include "base/strings.h"
#include "http/server.h"

namespace berth::http {
namespace {

// The deepest nesting of arrays and objects a request body may have. Documents of the API nest a
// few levels; the limit keeps the recursive walks over a parsed value (serialising, converting)
// far from the end of a connection thread's stack.
constexpr int kMaxJsonDepth = 1000;

// JsonTooDeep says whether text nests arrays and objects deeper than kMaxJsonDepth, counting
// brackets outside strings (the parser reports any other fault).
bool JsonTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> AuthorizationOf(std::string_view value, std::string_view scheme) {
  value = TrimSpace(value);
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ' ||
      strncasecmp(value.data(), scheme.data(), scheme.size()) != 0) {
    return std::nullopt;
  }
  return TrimSpace(value.substr(scheme.size() + 1));
}

std::optional<std::string> Request::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

std::optional<std::string> Request::Query(std::string_view name) const {
  auto [begin, end] = query.equal_range(std::string(name));
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;
}

Result<bool> Request::QueryBool(std::string_view name, bool fallback) const {
  std::optional<std::string> value = Query(name);
  if (!value) return fallback;
  // The words of Go's strconv.ParseBool, and an empty value ("?all") for true.
  for (const char* yes : {"", "1", "t", "T", "true", "True", "TRUE"}) {
    if (*value == yes) return true;
  }
  for (const char* no : {"0", "f", "F", "false", "False", "FALSE"}) {
    if (*value == no) return false;
  }
  return Fail(
      ErrorKind::kInvalidArgument,
      "invalid boolean value \"" + *value + "\" for query parameter \"" + std::string(name) + "\"");
}

Result<std::optional<int>> Request::QueryInt(std::string_view name) const {
  std::optional<std::string> value = Query(name);
  if (!value || value->empty()) return std::nullopt;
  Result<int64_t> n = ParseInt64(*value);
  if (!n || *n < INT32_MIN || *n > INT32_MAX) {
    return Fail(ErrorKind::kInvalidArgument, "invalid integer value \"" + *value +
                                                 "\" for query parameter \"" + std::string(name) +
                                                 "\"");
  }
  return static_cast<int>(*n);
}

Result<std::string> Request::ReadBody(size_t limit) {
  std::string data;
  char chunk[16 << 10];
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t n, body->Read(chunk, sizeof(chunk)));
    if (n == 0) return data;
    if (data.size() + n > limit) {
      return Fail(ErrorKind::kInvalidArgument,
                  "read request body: longer than " + std::to_string(limit) + " bytes");
    }
    data.append(chunk, n);
  }
}

Result<nlohmann::json> Request::ReadJson(size_t limit) {
  BERTH_ASSIGN_OR_RETURN(std::string data, ReadBody(limit));
  if (data.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  if (JsonTooDeep(data)) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ..."; keep the prose.
    std::string_view what = e.what();
    size_t prose = what.find("] ");
    if (prose != std::string_view::npos) what.remove_prefix(prose + 2);
    return Fail(ErrorKind::kInvalidArgument, "invalid JSON: " + std::string(what));
  }
}

}  // namespace berth::http
