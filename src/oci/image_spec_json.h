// JSON codec for the image-spec documents of image_spec.h, over nlohmann::json. Decoding checks
// each property's JSON type and what the specs forbid (a schemaVersion other than 2, a malformed
// digest or media type, a negative size, a missing required property, rootfs.type other than
// "layers", more layer-creating history entries than diff_ids, ...) and names the JSON path of the
// first bad property: `decode manifest: layers[2].digest: invalid digest "x": missing algorithm`.
// Unknown properties are ignored; null reads as absent, as Go's decoder does.
//
// Encoding writes compact JSON with the properties in the order of the Go reference types
// (image-spec's specs-go, Docker's container.Config for the config object), map keys sorted and
// absent or empty optional properties left out, so equal values encode to equal bytes and
// decoding the output gives the value back. Registries and archives keep the original bytes of
// every blob (digests are over those bytes): encode only documents berth makes itself.
// Pure functions, no I/O, thread-safe. Errors are kInvalidArgument.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::oci {

[[nodiscard]] Result<Manifest> DecodeManifest(std::string_view json);  // "decode manifest: ..."
std::string EncodeManifest(const Manifest& manifest);

[[nodiscard]] Result<Index> DecodeIndex(std::string_view json);  // "decode index: ..."
std::string EncodeIndex(const Index& index);

// "decode image config: ..."
[[nodiscard]] Result<ImageConfig> DecodeImageConfig(std::string_view json);
std::string EncodeImageConfig(const ImageConfig& config);

// A descriptor alone (application/vnd.oci.descriptor.v1+json, or one embedded in another
// document): its errors name the path inside the object ("digest: ...") and the caller prefixes
// where the descriptor came from.
[[nodiscard]] Result<Descriptor> DecodeDescriptor(std::string_view json);
std::string EncodeDescriptor(const Descriptor& descriptor);

}  // namespace berth::oci
