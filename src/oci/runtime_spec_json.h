// JSON codec for the OCI runtime-spec config.json (Spec) and state (State), over nlohmann::json.
// Decoding checks every field's JSON type and numeric range and names the JSON path of the first
// bad field ("config.json: process.user.uid: expected an unsigned integer, got string"); it ignores
// unknown properties as the spec requires and leaves semantic checks to validate.h. Encoding writes
// tab-indented JSON as `runc spec` does and omits absent optional fields. Pure functions, no I/O,
// thread-safe. Errors are kInvalidArgument.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::oci {

[[nodiscard]] Result<Spec> DecodeSpec(std::string_view json);
std::string EncodeSpec(const Spec& spec);

// DecodeProcess reads a process object alone (`exec --process process.json`); its errors name the
// path inside the object ("user.uid: ...") and the caller prefixes the file name.
[[nodiscard]] Result<Process> DecodeProcess(std::string_view json);
std::string EncodeProcess(const Process& process);

// State JSON: ociVersion, id, status, pid (when non-zero), bundle, annotations (when non-empty).
[[nodiscard]] Result<State> DecodeState(std::string_view json);
std::string EncodeState(const State& state);

}  // namespace berth::oci
