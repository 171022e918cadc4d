#include "http/url.h"

namespace berth::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Unescape(std::string_view escaped, bool plus_is_space) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      int hi = i + 2 < escaped.size() ? HexValue(escaped[i + 1]) : -1;
      int lo = hi >= 0 ? HexValue(escaped[i + 2]) : -1;
      if (lo < 0) {
        std::string_view bad = escaped.substr(i, 3);
        return Fail(ErrorKind::kInvalidArgument, "invalid URL escape \"" + std::string(bad) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return out;
}

}  // namespace

Result<std::string> DecodePath(std::string_view escaped) { return Unescape(escaped, false); }

Result<std::string> DecodeQueryComponent(std::string_view escaped) {
  return Unescape(escaped, true);
}

Result<QueryValues> ParseQuery(std::string_view query) {
  QueryValues values;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (pair.find(';') != std::string_view::npos) {
      return Fail(ErrorKind::kInvalidArgument, "invalid semicolon separator in query");
    }
    size_t eq = pair.find('=');
    BERTH_ASSIGN_OR_RETURN(std::string key, DecodeQueryComponent(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      BERTH_ASSIGN_OR_RETURN(value, DecodeQueryComponent(pair.substr(eq + 1)));
    }
    values.emplace(std::move(key), std::move(value));
  }
  return values;
}

}  // namespace berth::http
