#include "oci/json_codec.h"

namespace berth::oci::json_codec {

std::string MemberPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string ElementPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string KeyPath(const std::string& path, std::string_view key) {
  return path + "[" + Quote(key) + "]";
}

std::string Quote(std::string_view s) { return Dump(OrderedJson(std::string(s))); }

std::string Describe(const Json& j) {
  return j.is_number() ? "number " + j.dump() : std::string(j.type_name());
}

Error DecodeError(const std::string& path, std::string message) {
  return Error(ErrorKind::kInvalidArgument, path.empty() ? message : path + ": " + message);
}

Error TypeError(const std::string& path, std::string_view expected, std::string_view got) {
  return DecodeError(path, "expected " + std::string(expected) + ", got " + std::string(got));
}

Result<Json> Parse(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 17: <reason>";
    // keep the reason, since the byte offset is reported separately.
    std::string_view what = e.what();
    size_t column = what.find("column ");
    size_t reason = column == std::string_view::npos ? column : what.find(": ", column);
    if (reason != std::string_view::npos) what.remove_prefix(reason + 2);
    return Fail(ErrorKind::kInvalidArgument,
                "invalid JSON at byte " + std::to_string(e.byte) + ": " + std::string(what));
  } catch (const Json::exception& e) {
    return Fail(ErrorKind::kInvalidArgument, std::string("invalid JSON: ") + e.what());
  }
}

Result<Digest> ParseDigest(const std::string& path, std::string_view text) {
  Result<Digest> digest = Digest::Parse(text);
  if (!digest) return Fail(DecodeError(path, digest.error().message()));
  return digest;
}

std::string Dump(const OrderedJson& json, int indent, char indent_char) {
  return json.dump(indent, indent_char, false, OrderedJson::error_handler_t::replace);
}

berth::Status Read(const Json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) return Fail(TypeError(path, "a string", Describe(j)));
  out = j.get<std::string>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) return Fail(TypeError(path, "a boolean", Describe(j)));
  out = j.get<bool>();
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, Digest& out) {
  std::string text;
  BERTH_TRY(Read(j, path, text));
  BERTH_ASSIGN_OR_RETURN(out, ParseDigest(path, text));
  return Ok();
}

berth::Status Read(const Json& j, const std::string& path, std::set<std::string>& out) {
  if (!j.is_object()) return Fail(TypeError(path, "an object", Describe(j)));
  out.clear();
  for (const auto& [key, item] : j.items()) {
    if (!item.is_object() && !item.is_null()) {
      return Fail(TypeError(KeyPath(path, key), "an object", Describe(item)));
    }
    out.insert(key);
  }
  return Ok();
}

OrderedJson ToJson(const std::set<std::string>& names) {
  OrderedJson object = OrderedJson::object();
  for (const std::string& name : names) object[name] = OrderedJson::object();
  return object;
}

}  // namespace berth::oci::json_codec
