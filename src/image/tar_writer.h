// A deterministic tar stream writer: POSIX ustar headers, with PAX extended headers where
// ustar cannot say it (names or link targets over 100 bytes or not ASCII, sizes of 8 GiB
// and more). uid/gid are 0, user/group names empty; the caller decides mtime and mode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "image/byte_sink.h"

namespace mlbox::image {

enum class TarEntryType : char {
  kFile = '0',
  kHardlink = '1',
  kSymlink = '2',
  kDirectory = '5',
};

struct TarHeader {
  std::string name;  // path in the archive, relative; a directory gets a trailing '/'
  TarEntryType type = TarEntryType::kFile;
  uint32_t mode = 0644;  // permission bits (07777)
  uint64_t size = 0;     // regular files only
  int64_t mtime = 0;
  std::string linkname;  // symlink target, or the hard link's first path
};

// The header block(s) for one entry: a PAX 'x' header with its records when needed, then
// the ustar header. Always a multiple of 512 bytes.
std::string encode_tar_header(const TarHeader& header);

class TarWriter {
 public:
  explicit TarWriter(ByteSink sink) : sink_(std::move(sink)) {}

  void add_directory(std::string_view path, uint32_t mode, int64_t mtime);
  void add_symlink(std::string_view path, std::string_view target, int64_t mtime);
  void add_hardlink(std::string_view path, std::string_view target, int64_t mtime);
  // A regular file: the header now, then exactly `size` bytes through write_data(), then
  // end_file() (which pads to the block size).
  void begin_file(std::string_view path, uint32_t mode, uint64_t size, int64_t mtime);
  void write_data(const void* data, size_t size);
  void end_file();
  // The two zero blocks that end an archive.
  void finish();

  uint64_t bytes_written() const { return written_; }

 private:
  void emit(const void* data, size_t size);
  ByteSink sink_;
  uint64_t written_ = 0;
  uint64_t file_left_ = 0;
  uint64_t file_size_ = 0;
  bool in_file_ = false;
  std::string current_;
};

}  // namespace mlbox::image
