#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "image/tar_writer.h"
#include "util/error.h"

using namespace mlbox::image;

namespace {

struct ReadEntry {
  std::string path, link, data;
  int type = 0;
  unsigned mode = 0;
  int64_t size = 0, mtime = 0, uid = -1, gid = -1;
  std::string uname, gname;
};

// Reads a tar from memory with libarchive (an independent reader).
std::vector<ReadEntry> read_tar(const std::string& bytes) {
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
  std::vector<ReadEntry> out;
  archive_entry* e = nullptr;
  // ARCHIVE_WARN: a UTF-8 name the C locale cannot represent; the UTF-8 form is still there.
  for (int rc; (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN;) {
    ReadEntry r;
    const char* utf8 = archive_entry_pathname_utf8(e);
    r.path = utf8 ? utf8 : archive_entry_pathname(e);
    if (archive_entry_symlink(e)) r.link = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) r.link = archive_entry_hardlink(e);
    r.type = static_cast<int>(archive_entry_filetype(e));
    r.mode = archive_entry_perm(e);
    r.size = archive_entry_size(e);
    r.mtime = archive_entry_mtime(e);
    r.uid = archive_entry_uid(e);
    r.gid = archive_entry_gid(e);
    r.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    r.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    std::string data(static_cast<size_t>(r.size), '\0');
    if (r.size > 0) archive_read_data(a, data.data(), data.size());
    r.data = data;
    out.push_back(r);
  }
  archive_read_free(a);
  return out;
}

std::string to_string_sink(const std::function<void(TarWriter&)>& fill) {
  std::string out;
  TarWriter w([&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); });
  fill(w);
  w.finish();
  return out;
}

}  // namespace

TEST_CASE("tar header: ustar fields, checksum, uid/gid 0 and empty names") {
  TarHeader h;
  h.name = "app/train.py";
  h.mode = 0644;
  h.size = 5;
  h.mtime = 1700000000;
  std::string b = encode_tar_header(h);
  REQUIRE(b.size() == 512);
  CHECK(b.substr(0, 12) == "app/train.py");
  CHECK(b.substr(100, 8) == std::string("0000644\0", 8));
  CHECK(b.substr(108, 8) == std::string("0000000\0", 8));
  CHECK(b.substr(124, 12) == std::string("00000000005\0", 12));
  CHECK(b[156] == '0');
  CHECK(b.substr(257, 8) == std::string("ustar\0"
                                        "00",
                                        8));
  CHECK(b.substr(265, 32) == std::string(32, '\0'));  // uname
  CHECK(b.substr(297, 32) == std::string(32, '\0'));  // gname
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(b[i]);
  CHECK(std::stoul(b.substr(148, 6), nullptr, 8) == sum);
}

TEST_CASE("tar: long names and link targets use PAX records that libarchive reads") {
  std::string long_dir(150, 'd');
  std::string long_name = long_dir + "/" + std::string(120, 'f') + ".py";
  std::string long_target = std::string(130, 't');
  std::string tar = to_string_sink([&](TarWriter& w) {
    w.add_directory(long_dir, 0755, 0);
    w.begin_file(long_name, 0644, 3, 0);
    w.write_data("abc", 3);
    w.end_file();
    w.add_symlink(long_dir + "/ln", long_target, 0);
    w.add_hardlink(long_dir + "/hard", long_name, 0);
    w.begin_file("ünïcode.txt", 0755, 0, 0);
    w.end_file();
  });
  CHECK(tar.size() % 512 == 0);
  auto entries = read_tar(tar);
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].path == long_dir + "/");
  CHECK(entries[1].path == long_name);
  CHECK(entries[1].data == "abc");
  CHECK(entries[2].link == long_target);
  CHECK(entries[3].link == long_name);
  CHECK(entries[4].path == "ünïcode.txt");
  CHECK(entries[4].mode == 0755);
  for (const auto& e : entries) {
    CHECK(e.uid == 0);
    CHECK(e.gid == 0);
    CHECK(e.uname.empty());
    CHECK(e.gname.empty());
    CHECK(e.mtime == 0);
  }
}

TEST_CASE("tar: PAX size for files of 8 GiB and more") {
  TarHeader h;
  h.name = "big.bin";
  h.size = 9ULL << 30;
  std::string b = encode_tar_header(h);
  REQUIRE(b.size() == 3 * 512);
  CHECK(b[156] == 'x');
  CHECK(b.find("size=9663676416\n") != std::string::npos);
  CHECK(b.substr(1024 + 124, 12) == std::string("00000000000\0", 12));
}

TEST_CASE("tar: PAX record length counts its own digits") {
  TarHeader h;
  h.name.assign(95, 'a');
  h.name += '/';
  h.name.append(10, 'b');  // 106 bytes
  std::string b = encode_tar_header(h);
  std::string rec = b.substr(512, b.find('\n', 512) - 512 + 1);
  CHECK(std::stoul(rec) == rec.size());
}

TEST_CASE("tar: file data must match the header size") {
  std::string sink;
  TarWriter w([&](const void* d, size_t n) { sink.append(static_cast<const char*>(d), n); });
  w.begin_file("a", 0644, 4, 0);
  w.write_data("ab", 2);
  CHECK_THROWS_AS(w.end_file(), mlbox::Error);
  CHECK_THROWS_AS(w.write_data("abc", 3), mlbox::Error);
}
