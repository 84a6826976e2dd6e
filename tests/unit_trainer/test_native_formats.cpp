#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "metrics/event_file_reader.h"
#include "native/array_readers.h"
#include "native/checkpoint_format.h"
#include "native/history.h"
#include "native/native_config.h"
#include "native/tensorboard_writer.h"
#include "trainer/dir_sync.h"
#include "util/crc32c.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"

using namespace mlbox::trainer;
using mlbox::crc32c;
using mlbox::mask_crc32c;
namespace stdfs = std::filesystem;

TEST_CASE("crc32c matches the RFC 3720 check values and TensorFlow's mask") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  std::string zeros(32, '\0');
  CHECK(crc32c(zeros) == 0x8A9136AAu);
  CHECK(mask_crc32c(0) == 0xa282ead8u);
  uint32_t c = 0x12345678u;
  CHECK(mask_crc32c(c) == (((c >> 15) | (c << 17)) + 0xa282ead8u));
}

TEST_CASE("TFRecord framing: length, masked CRCs, payload") {
  std::string rec = tfrecord_frame("abc");
  REQUIRE(rec.size() == 8 + 4 + 3 + 4);
  CHECK(static_cast<unsigned char>(rec[0]) == 3);
  for (int i = 1; i < 8; ++i) CHECK(rec[i] == 0);
  uint32_t len_crc = 0, data_crc = 0;
  std::memcpy(&len_crc, rec.data() + 8, 4);
  std::memcpy(&data_crc, rec.data() + 15, 4);
  CHECK(len_crc == mask_crc32c(crc32c(rec.substr(0, 8))));
  CHECK(rec.substr(12, 3) == "abc");
  CHECK(data_crc == mask_crc32c(crc32c("abc")));
}

TEST_CASE("Event proto encoding of a scalar") {
  std::string e = event_scalar(1.5, 3, "loss", 0.25f);
  // wall_time: field 1, wire 1 (0x09) + 8 bytes; step: 0x10 0x03; summary: 0x2a len ...
  CHECK(static_cast<unsigned char>(e[0]) == 0x09);
  CHECK(static_cast<unsigned char>(e[9]) == 0x10);
  CHECK(static_cast<unsigned char>(e[10]) == 0x03);
  CHECK(static_cast<unsigned char>(e[11]) == 0x2a);
  CHECK(e.find("loss") != std::string::npos);
  std::string v = event_file_version(0);
  CHECK(v.find("brain.Event:2") != std::string::npos);
}

TEST_CASE("what TensorBoardWriter writes, the report's event reader reads back") {
  mlbox::fs::TempDir tmp;
  std::string path;
  {
    TensorBoardWriter w(tmp.path().string());
    w.scalar("epoch_loss", 0, 0.5f);
    w.scalar("epoch_loss", 1, 0.25f);
    w.flush();
    path = w.path();
  }
  auto r = mlbox::metrics::read_event_file(path);
  CHECK(r.problems.empty());
  REQUIRE(r.scalars.size() == 2);
  CHECK(r.scalars[1].tag == "epoch_loss");
  CHECK(r.scalars[1].step == 1);
  CHECK(r.scalars[1].value == 0.25);
}

TEST_CASE("npy: header parsing, dtypes, truncation") {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(header.size() & 0xFF));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  float vals[6] = {1, 2, 3, 4, 5, 6};
  bytes.append(reinterpret_cast<const char*>(vals), sizeof vals);
  NdArray a = parse_npy(bytes, "x.npy");
  CHECK(a.dtype == "f4");
  CHECK((a.shape == std::vector<int64_t>{2, 3}));
  CHECK(a.data.size() == 24);
  CHECK_THROWS_AS(parse_npy(bytes.substr(0, bytes.size() - 4), "x.npy"), mlbox::Error);
  CHECK_THROWS_AS(parse_npy("nope", "x.npy"), mlbox::Error);
}

TEST_CASE("IDX: big-endian sizes and values") {
  std::string b = std::string("\0\0\x08\x01", 4) + std::string("\0\0\0\x03", 4) + "\x01\x02\x03";
  NdArray a = parse_idx(b, "labels");
  CHECK(a.dtype == "u1");
  CHECK((a.shape == std::vector<int64_t>{3}));
  CHECK(a.data == "\x01\x02\x03");
  std::string i4 = std::string("\0\0\x0c\x01", 4) + std::string("\0\0\0\x01", 4) +
                   std::string("\x00\x00\x01\x02", 4);
  NdArray b4 = parse_idx(i4, "ints");
  int32_t v = 0;
  std::memcpy(&v, b4.data.data(), 4);
  CHECK(v == 258);
  CHECK_THROWS_AS(parse_idx(std::string("\0\0\x08\x01\0\0\0\x09", 8), "short"), mlbox::Error);
}

TEST_CASE("CSV: numbers, header, errors with line and column") {
  mlbox::fs::TempDir tmp;
  auto p = tmp.path() / "d.csv";
  mlbox::fs::write_file_atomic(p, "a,b,label\n1,2,0\n3.5,4,1\n");
  NdArray a = read_csv(p.string(), true);
  CHECK((a.shape == std::vector<int64_t>{2, 3}));
  try {
    read_csv(p.string(), false);
    FAIL("expected an error");
  } catch (const mlbox::Error& e) {
    CHECK(std::string(e.what()).find("d.csv:1:1") != std::string::npos);
  }
  mlbox::fs::write_file_atomic(p, "1,2\n3\n");
  CHECK_THROWS_AS(read_csv(p.string(), false), mlbox::Error);
}

TEST_CASE("native config: defaults, relative paths, strict keys") {
  auto j = nlohmann::json::parse(R"({"model": "m.pt", "data": {"train": {"path": "d.csv"},
      "validation_split": 0.2}, "optimizer": {"name": "AdamW", "lr": 0.001},
      "metrics": ["loss", "accuracy"], "checkpoint": {"every_steps": 5}})");
  NativeConfig c = parse_native_config(j, "/base", "cfg.json");
  CHECK(c.model == "/base/m.pt");
  CHECK(c.train.path == "/base/d.csv");
  CHECK(c.train.format == "csv");
  CHECK(c.optimizer.name == "adamw");
  CHECK(c.optimizer.weight_decay == doctest::Approx(0.01));
  CHECK(c.checkpoint.every_steps == 5);
  CHECK(c.checkpoint.every_epochs == 1);
  CHECK(c.wants_accuracy());
  j["optimiser"] = j["optimizer"];
  try {
    parse_native_config(j, "/base", "cfg.json");
    FAIL("expected an error");
  } catch (const mlbox::Error& e) {
    CHECK(std::string(e.what()).find("cfg.json: optimiser: unknown key") != std::string::npos);
    CHECK(e.hint().find("optimizer") != std::string::npos);
  }
  j.erase("optimiser");
  j["loss"] = "hinge";
  CHECK_THROWS_AS(parse_native_config(j, "/b", "c"), mlbox::Error);
  j["loss"] = "mse";  // accuracy with mse is refused
  CHECK_THROWS_AS(parse_native_config(j, "/b", "c"), mlbox::Error);
  auto idx =
      nlohmann::json::parse(R"({"model": "m", "data": {"train": {"path": "x-idx3-ubyte"}}})");
  CHECK_THROWS_AS(parse_native_config(idx, "/b", "c"), mlbox::Error);  // needs labels_path
}

TEST_CASE("dir_sync mirrors files, skips temp files, removes stale ones") {
  mlbox::fs::TempDir tmp;
  auto from = tmp.path() / "from", to = tmp.path() / "to";
  mlbox::fs::write_file_atomic(from / "a", "1");
  mlbox::fs::write_file_atomic(from / "sub/b", "22");
  mlbox::fs::write_file_atomic(from / ".a.tmp-XYZ", "partial");
  mlbox::fs::write_file_atomic(to / "stale", "x");
  SyncStats s = sync_directory(from, to);
  CHECK(s.copied == 2);
  CHECK(s.removed == 1);
  CHECK(mlbox::fs::read_file(to / "sub/b") == "22");
  CHECK_FALSE(stdfs::exists(to / ".a.tmp-XYZ"));
  CHECK(sync_directory(from, to).copied == 0);  // unchanged: nothing copied
}

TEST_CASE("checkpoint trailer: verified, truncation and bit flips detected") {
  std::string file = seal_checkpoint("payload-bytes");
  CHECK(file.size() == 13 + kCheckpointTrailerSize);
  std::string why;
  CHECK(verify_checkpoint_bytes(file, why));
  CHECK_FALSE(verify_checkpoint_bytes(file.substr(0, file.size() - 1), why));
  std::string flipped = file;
  flipped[2] ^= 0x01;
  CHECK_FALSE(verify_checkpoint_bytes(flipped, why));
  CHECK(why.find("SHA-256") != std::string::npos);
}

TEST_CASE("history keeps Keras' shape") {
  History h;
  h.add_epoch(0, {{"loss", 1.0}, {"val_loss", 2.0}});
  h.add_epoch(1, {{"loss", 0.5}, {"val_loss", 1.5}});
  auto j = h.to_json();
  CHECK(j["epoch"] == nlohmann::json::array({0, 1}));
  CHECK(j["history"]["loss"][1] == 0.5);
  History back = History::from_json(j);
  CHECK(back.epochs_recorded() == 2);
}

TEST_CASE("npz archives as numpy writes them: stored, deflated, ZIP64 headers, bad input") {
  mlbox::fs::TempDir dir;
  std::string script =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "x = np.arange(12, dtype=np.float32).reshape(3, 4)\n"
      "y = np.array([1, 2, 3], dtype=np.int64)\n"
      "np.savez(d + '/stored.npz', x=x, y=y)\n"
      "np.savez_compressed(d + '/deflated.npz', x=x, y=y)\n";
  std::string py = (dir.path() / "make.py").string();
  mlbox::fs::write_file_atomic(py, script);
  REQUIRE(std::system(("/usr/bin/python3 " + py + " " + dir.path().string()).c_str()) == 0);
  for (const char* name : {"stored.npz", "deflated.npz"}) {
    std::string path = (dir.path() / name).string();
    NdArray x = read_npz(path, "x");
    CHECK(x.shape == std::vector<int64_t>{3, 4});
    CHECK(x.dtype == "f4");
    REQUIRE(x.data.size() == 48);
    float last = 0;
    std::memcpy(&last, x.data.data() + 44, 4);
    CHECK(last == 11.0f);
    NdArray y = read_npz(path, "y");
    CHECK(y.dtype == "i8");
    CHECK(y.numel() == 3);
    try {
      read_npz(path, "z");
      FAIL("missing key accepted");
    } catch (const mlbox::Error& e) {
      CHECK(std::string(e.hint()).find("x.npy, y.npy") != std::string::npos);
    }
  }
  // Truncated and flipped archives: an error naming the file, never a crash.
  std::string bytes = mlbox::fs::read_file(dir.path() / "deflated.npz");
  std::string cut = (dir.path() / "cut.npz").string();
  mlbox::fs::write_file_atomic(cut, bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_AS(read_npz(cut, "x"), mlbox::Error);
  std::string flipped = bytes;
  flipped[60] = static_cast<char>(flipped[60] ^ 0x5a);
  std::string bad = (dir.path() / "flipped.npz").string();
  mlbox::fs::write_file_atomic(bad, flipped);
  CHECK_THROWS_AS(read_npz(bad, "x"), mlbox::Error);
}
