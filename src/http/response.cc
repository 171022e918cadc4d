// ResponseWriter's helpers over the three ways of answering: JSON documents, errors as docker
// shapes them ({"message": ...} with the status of the error's kind) and empty responses.
#include "http/server.h"
#include "http/status.h"

namespace berth::http {

namespace {

constexpr std::string_view kJson = "application/json";

}  // namespace

Status ResponseWriter::SendJson(int status, const nlohmann::json& value) {
  // Invalid UTF-8 in a string (a file name, a log line) is replaced rather than thrown about.
  std::string body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  body.push_back('\n');
  return Send(status, kJson, body);
}

Status ResponseWriter::SendJson(int status, const nlohmann::ordered_json& value) {
  std::string body = value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  body.push_back('\n');
  return Send(status, kJson, body);
}

Status ResponseWriter::SendError(const Error& error) {
  return SendJson(HttpStatus(error.kind()), nlohmann::json{{"message", error.message()}});
}

Status ResponseWriter::SendEmpty(int status) { return Send(status, {}, {}); }

}  // namespace berth::http
