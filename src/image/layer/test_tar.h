// Test support: TarBuilder writes tar streams byte by byte (ustar headers, pax records, GNU long
// names), so tests can make well-formed layers and hostile ones that no archiver would write;
// Gzip/Zstd/Xz/Bzip2 compress them; MemFd holds inputs. For tests only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace berth::image::layer::testing {

struct TarHeader {
  std::string name;
  char type = '0';  // '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo
  mode_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;
  int64_t mtime = 1700000000;
  std::string linkname;
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
};

class TarBuilder {
 public:
  // Header appends one 512-byte header (name and linkname are cut to 100 bytes: use Pax for
  // longer ones).
  TarBuilder& Header(const TarHeader& header);
  // Data appends content padded to 512 bytes.
  TarBuilder& Data(std::string_view content);
  // Pax appends a pax extended header ('x') with records, applying to the next entry.
  TarBuilder& Pax(const std::map<std::string, std::string>& records);
  // GnuLongName appends a GNU 'L' header whose data is name.
  TarBuilder& GnuLongName(std::string_view name);

  TarBuilder& File(std::string_view name, std::string_view content, mode_t mode = 0644);
  TarBuilder& Dir(std::string_view name, mode_t mode = 0755);
  TarBuilder& Symlink(std::string_view name, std::string_view target);
  TarBuilder& Hardlink(std::string_view name, std::string_view target);
  TarBuilder& Raw(std::string_view bytes);

  // Finish returns the archive with its two zero blocks; Bytes without them.
  std::string Finish() const;
  const std::string& Bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// PaxRecord formats one "LEN key=value\n" record.
std::string PaxRecord(std::string_view key, std::string_view value);

std::string Gzip(std::string_view data);
std::string Zstd(std::string_view data);
std::string Xz(std::string_view data);
std::string Bzip2(std::string_view data);

// MemFd returns a memfd holding data, positioned at its start.
UniqueFd MemFd(std::string_view data);

}  // namespace berth::image::layer::testing
