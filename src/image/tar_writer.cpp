#include "image/tar_writer.h"

#include <cstring>

#include <fmt/format.h>

#include "util/error.h"

namespace mlbox::image {

namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxOctalSize = 077777777777ULL;  // 11 octal digits

// An octal number right-aligned in a field of `width` bytes: width-1 digits and a NUL.
void put_octal(char* field, size_t width, uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

void put_string(char* field, size_t width, std::string_view value) {
  std::memcpy(field, value.data(), std::min(width, value.size()));
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c == 0 || c >= 0x80) return false;
  }
  return true;
}

// One PAX record: "<len> key=value\n" where len counts the whole record, itself included.
std::string pax_record(std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // ' ' key '=' value '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return fmt::format("{} {}={}\n", len, key, value);
}

std::string ustar_block(std::string_view name, char type, uint32_t mode, uint64_t size,
                        int64_t mtime, std::string_view linkname) {
  std::string block(kBlock, '\0');
  char* h = block.data();
  put_string(h + 0, 100, name);
  put_octal(h + 100, 8, mode & 07777);
  put_octal(h + 108, 8, 0);  // uid
  put_octal(h + 116, 8, 0);  // gid
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, static_cast<uint64_t>(mtime < 0 ? 0 : mtime));
  std::memset(h + 148, ' ', 8);  // checksum counts as spaces while computing it
  h[156] = type;
  put_string(h + 157, 100, linkname);
  std::memcpy(h + 257,
              "ustar\0"
              "00",
              8);
  // uname (265) and gname (297) stay empty.
  put_octal(h + 329, 8, 0);  // devmajor
  put_octal(h + 337, 8, 0);  // devminor
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(h + 148, chk.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  return block;
}

std::string pad_to_block(std::string s) {
  size_t rem = s.size() % kBlock;
  if (rem != 0) s.append(kBlock - rem, '\0');
  return s;
}

std::string base_name(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::string encode_tar_header(const TarHeader& hdr) {
  if (hdr.name.empty()) throw Error(ErrorKind::kInternal, "tar entry with an empty name");
  std::string records;
  bool long_name = hdr.name.size() > 100 || !is_ascii(hdr.name);
  bool long_link = hdr.linkname.size() > 100 || !is_ascii(hdr.linkname);
  bool big = hdr.size > kMaxOctalSize;
  if (long_name) records += pax_record("path", hdr.name);
  if (long_link) records += pax_record("linkpath", hdr.linkname);
  if (big) records += pax_record("size", std::to_string(hdr.size));

  std::string out;
  if (!records.empty()) {
    std::string pax_name = "PaxHeaders.0/" + base_name(hdr.name);
    if (pax_name.size() > 100 || !is_ascii(pax_name)) pax_name = "PaxHeaders.0/entry";
    out += ustar_block(pax_name, 'x', 0644, records.size(), hdr.mtime, "");
    out += pad_to_block(records);
  }
  // Fields PAX overrides get a truncated placeholder; readers take the PAX value.
  std::string name = long_name ? hdr.name.substr(0, 100) : hdr.name;
  if (long_name && !is_ascii(name)) name = "PaxHeaders.0/long-name";
  std::string link = long_link ? hdr.linkname.substr(0, 100) : hdr.linkname;
  if (long_link && !is_ascii(link)) link = "long-link";
  out +=
      ustar_block(name, static_cast<char>(hdr.type), hdr.mode, big ? 0 : hdr.size, hdr.mtime, link);
  return out;
}

void TarWriter::emit(const void* data, size_t size) {
  if (size == 0) return;
  sink_(data, size);
  written_ += size;
}

void TarWriter::add_directory(std::string_view path, uint32_t mode, int64_t mtime) {
  TarHeader h;
  h.name = std::string(path);
  if (h.name.back() != '/') h.name += '/';
  h.type = TarEntryType::kDirectory;
  h.mode = mode;
  h.mtime = mtime;
  auto bytes = encode_tar_header(h);
  emit(bytes.data(), bytes.size());
}

void TarWriter::add_symlink(std::string_view path, std::string_view target, int64_t mtime) {
  TarHeader h;
  h.name = std::string(path);
  h.type = TarEntryType::kSymlink;
  h.mode = 0777;
  h.mtime = mtime;
  h.linkname = std::string(target);
  auto bytes = encode_tar_header(h);
  emit(bytes.data(), bytes.size());
}

void TarWriter::add_hardlink(std::string_view path, std::string_view target, int64_t mtime) {
  TarHeader h;
  h.name = std::string(path);
  h.type = TarEntryType::kHardlink;
  h.mode = 0644;
  h.mtime = mtime;
  h.linkname = std::string(target);
  auto bytes = encode_tar_header(h);
  emit(bytes.data(), bytes.size());
}

void TarWriter::begin_file(std::string_view path, uint32_t mode, uint64_t size, int64_t mtime) {
  if (in_file_) throw Error(ErrorKind::kInternal, "tar: begin_file inside " + current_);
  TarHeader h;
  h.name = std::string(path);
  h.type = TarEntryType::kFile;
  h.mode = mode;
  h.size = size;
  h.mtime = mtime;
  auto bytes = encode_tar_header(h);
  emit(bytes.data(), bytes.size());
  in_file_ = true;
  file_left_ = size;
  file_size_ = size;
  current_ = std::string(path);
}

void TarWriter::write_data(const void* data, size_t size) {
  if (!in_file_ || size > file_left_) {
    throw Error(
        ErrorKind::kInternal,
        fmt::format("tar: more data than the header's {} bytes for {}", file_size_, current_));
  }
  emit(data, size);
  file_left_ -= size;
}

void TarWriter::end_file() {
  if (!in_file_) throw Error(ErrorKind::kInternal, "tar: end_file without begin_file");
  if (file_left_ != 0) {
    throw Error(ErrorKind::kInternal, fmt::format("tar: {} ended {} bytes short of its header size",
                                                  current_, file_left_));
  }
  static const char zeros[kBlock] = {};
  size_t rem = file_size_ % kBlock;
  if (rem != 0) emit(zeros, kBlock - rem);
  in_file_ = false;
}

void TarWriter::finish() {
  if (in_file_) throw Error(ErrorKind::kInternal, "tar: finish inside " + current_);
  static const char zeros[2 * kBlock] = {};
  emit(zeros, sizeof zeros);
}

}  // namespace mlbox::image
