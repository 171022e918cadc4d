#include "image/layer/test_tar.h"

#include <bzlib.h>
#include <lzma.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>

#include "base/check.h"

namespace berth::image::layer::testing {
namespace {

void PutString(char* field, size_t width, std::string_view value) {
  std::memcpy(field, value.data(), std::min(width, value.size()));
}

void PutOctal(char* field, size_t width, uint64_t value) {
  std::string digits(width - 1, '0');
  for (size_t i = width - 1; i-- > 0 && value != 0; value >>= 3)
    digits[i] = char('0' + (value & 7));
  std::memcpy(field, digits.data(), width - 1);
}

void Pad(std::string& bytes) { bytes.append((512 - bytes.size() % 512) % 512, '\0'); }

}  // namespace

TarBuilder& TarBuilder::Header(const TarHeader& h) {
  char block[512] = {};
  PutString(block, 100, h.name);
  PutOctal(block + 100, 8, h.mode);
  PutOctal(block + 108, 8, h.uid);
  PutOctal(block + 116, 8, h.gid);
  PutOctal(block + 124, 12, static_cast<uint64_t>(h.size));
  PutOctal(block + 136, 12, static_cast<uint64_t>(h.mtime));
  block[156] = h.type;
  PutString(block + 157, 100, h.linkname);
  std::memcpy(block + 257,
              "ustar\0"
              "00",
              8);
  PutOctal(block + 329, 8, h.devmajor);
  PutOctal(block + 337, 8, h.devminor);
  std::memset(block + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  PutOctal(block + 148, 7, sum);
  bytes_.append(block, sizeof(block));
  return *this;
}

TarBuilder& TarBuilder::Data(std::string_view content) {
  bytes_ += content;
  Pad(bytes_);
  return *this;
}

std::string PaxRecord(std::string_view key, std::string_view value) {
  size_t body = key.size() + value.size() + 3;  // " ", "=", "\n"
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

TarBuilder& TarBuilder::Pax(const std::map<std::string, std::string>& records) {
  std::string data;
  for (const auto& [key, value] : records) data += PaxRecord(key, value);
  Header({.name = "PaxHeader", .type = 'x', .size = static_cast<int64_t>(data.size())});
  return Data(data);
}

TarBuilder& TarBuilder::GnuLongName(std::string_view name) {
  Header({.name = "././@LongLink", .type = 'L', .size = static_cast<int64_t>(name.size() + 1)});
  return Data(std::string(name) + '\0');
}

TarBuilder& TarBuilder::File(std::string_view name, std::string_view content, mode_t mode) {
  Header({.name = std::string(name),
          .type = '0',
          .mode = mode,
          .size = static_cast<int64_t>(content.size())});
  return Data(content);
}

TarBuilder& TarBuilder::Dir(std::string_view name, mode_t mode) {
  return Header({.name = std::string(name), .type = '5', .mode = mode});
}

TarBuilder& TarBuilder::Symlink(std::string_view name, std::string_view target) {
  return Header(
      {.name = std::string(name), .type = '2', .mode = 0777, .linkname = std::string(target)});
}

TarBuilder& TarBuilder::Hardlink(std::string_view name, std::string_view target) {
  return Header({.name = std::string(name), .type = '1', .linkname = std::string(target)});
}

TarBuilder& TarBuilder::Raw(std::string_view bytes) {
  bytes_ += bytes;
  return *this;
}

std::string TarBuilder::Finish() const { return bytes_ + std::string(1024, '\0'); }

std::string Gzip(std::string_view data) {
  z_stream z{};
  BERTH_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  BERTH_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(std::string_view data) {
  // With a content checksum, as the zstd tool writes by default.
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  BERTH_CHECK(ctx != nullptr);
  BERTH_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1)));
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress2(ctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(ctx);
  BERTH_CHECK(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Xz(std::string_view data) {
  // With a CRC64 check, as the xz tool writes by default.
  std::string out(lzma_stream_buffer_bound(data.size()), '\0');
  size_t n = 0;
  BERTH_CHECK(lzma_easy_buffer_encode(
                  6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(data.data()),
                  data.size(), reinterpret_cast<uint8_t*>(out.data()), &n, out.size()) == LZMA_OK);
  out.resize(n);
  return out;
}

std::string Bzip2(std::string_view data) {
  // bzip2's documented bound: the input plus 1% plus 600 bytes.
  unsigned size = static_cast<unsigned>(data.size() + data.size() / 100 + 600);
  std::string out(size, '\0');
  std::string in(data);
  BERTH_CHECK(BZ2_bzBuffToBuffCompress(out.data(), &size, in.data(),
                                       static_cast<unsigned>(in.size()), 9, 0, 0) == BZ_OK);
  out.resize(size);
  return out;
}

UniqueFd MemFd(std::string_view data) {
  UniqueFd fd(memfd_create("layer", MFD_CLOEXEC));
  BERTH_CHECK(fd.valid());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    BERTH_CHECK(n > 0);
    done += static_cast<size_t>(n);
  }
  BERTH_CHECK(lseek(fd.get(), 0, SEEK_SET) == 0);
  return fd;
}

}  // namespace berth::image::layer::testing
