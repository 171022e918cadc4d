// libFuzzer target for the image-spec and archive-index decoders: each input (any bytes) is handed
// to every decoder of image_spec_json.h and image_layout.h. A decoder may refuse it, with a
// kInvalidArgument error; a document it accepts must decode again from its own encoding to the
// same value, and encoding that value must give the same bytes (the encoding is canonical). The
// target aborts on any other outcome. Corpus: image_spec_fuzz_corpus/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "oci/image_layout.h"
#include "oci/image_spec_json.h"

namespace {

namespace oci = berth::oci;

[[noreturn]] void Abort(const char* decoder, const std::string& what) {
  std::fprintf(stderr, "image spec fuzz: %s: %s\n", decoder, what.c_str());
  std::abort();
}

// Refusal must be an invalid-argument error; anything else is a finding.
template <typename T>
bool Accepted(const char* decoder, const berth::Result<T>& result) {
  if (result) return true;
  if (result.error().kind() != berth::ErrorKind::kInvalidArgument) {
    Abort(decoder, "refused with a kind other than invalid argument: " + result.error().message());
  }
  return false;
}

template <typename T>
void CheckRoundTrip(const char* decoder, berth::Result<T> (*decode)(std::string_view),
                    std::string (*encode)(const T&), std::string_view input) {
  berth::Result<T> first = decode(input);
  if (!Accepted(decoder, first)) return;
  std::string encoded = encode(*first);
  berth::Result<T> second = decode(encoded);
  if (!second) {
    Abort(decoder, "its own encoding is refused: " + second.error().message() + "\n" + encoded);
  }
  if (!(*second == *first)) Abort(decoder, "its own encoding decodes to another value\n" + encoded);
  std::string again = encode(*second);
  if (again != encoded) Abort(decoder, "encoding is not canonical\n" + encoded + "\n" + again);
}

void CheckOciLayout(std::string_view input) {
  if (!Accepted("DecodeOciLayout", oci::DecodeOciLayout(input))) return;
  berth::Status own = oci::DecodeOciLayout(oci::EncodeOciLayout());
  if (!own) Abort("DecodeOciLayout", "its own encoding is refused: " + own.error().message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip<oci::Manifest>("DecodeManifest", oci::DecodeManifest, oci::EncodeManifest, input);
  CheckRoundTrip<oci::Index>("DecodeIndex", oci::DecodeIndex, oci::EncodeIndex, input);
  CheckRoundTrip<oci::ImageConfig>("DecodeImageConfig", oci::DecodeImageConfig,
                                   oci::EncodeImageConfig, input);
  CheckRoundTrip<oci::Descriptor>("DecodeDescriptor", oci::DecodeDescriptor, oci::EncodeDescriptor,
                                  input);
  CheckRoundTrip<std::vector<oci::SaveManifestEntry>>("DecodeSaveManifest", oci::DecodeSaveManifest,
                                                      oci::EncodeSaveManifest, input);
  CheckRoundTrip<oci::Repositories>("DecodeRepositories", oci::DecodeRepositories,
                                    oci::EncodeRepositories, input);
  CheckRoundTrip<oci::Index>("DecodeLayoutIndex", oci::DecodeLayoutIndex, oci::EncodeIndex, input);
  CheckOciLayout(input);
  return 0;
}
