#include <doctest/doctest.h>

#include <cstring>

#include "metrics/event_file_reader.h"
#include "util/crc32c.h"

using namespace mlbox::metrics;

namespace {

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

std::string field_bytes(int field, const std::string& bytes) {
  std::string out;
  put_varint(out, static_cast<uint64_t>(field) << 3 | 2);
  put_varint(out, bytes.size());
  return out + bytes;
}

std::string frame(const std::string& payload) {
  std::string len;
  put_le(len, payload.size(), 8);
  std::string out = len;
  put_le(out, mlbox::mask_crc32c(mlbox::crc32c(len)), 4);
  out += payload;
  put_le(out, mlbox::mask_crc32c(mlbox::crc32c(payload)), 4);
  return out;
}

// Event{wall_time, step, summary{value{tag, simple_value}}}, as TensorBoard writers encode it.
std::string scalar_event(double wall, int64_t step, const std::string& tag, float value) {
  std::string e;
  e += '\x09';
  uint64_t wbits;
  std::memcpy(&wbits, &wall, 8);
  put_le(e, wbits, 8);
  e += '\x10';
  put_varint(e, static_cast<uint64_t>(step));
  std::string v = field_bytes(1, tag);
  v += '\x15';
  uint32_t fbits;
  std::memcpy(&fbits, &value, 4);
  put_le(v, fbits, 4);
  return e + field_bytes(5, field_bytes(1, v));
}

// TF2 style: the value is a scalar float tensor (dtype 1, float_val packed).
std::string tensor_event(int64_t step, const std::string& tag, float value) {
  std::string tensor;
  tensor += '\x08';
  tensor += '\x01';
  std::string packed;
  uint32_t fbits;
  std::memcpy(&fbits, &value, 4);
  put_le(packed, fbits, 4);
  tensor += field_bytes(5, packed);
  std::string v = field_bytes(1, tag) + field_bytes(8, tensor);
  std::string e;
  e += '\x10';
  put_varint(e, static_cast<uint64_t>(step));
  return e + field_bytes(5, field_bytes(1, v));
}

}  // namespace

TEST_CASE("event files: simple_value and tensor scalars, CRCs checked") {
  // The first record of every event file: wall_time and file_version, no summary.
  std::string version = "\x09" + std::string(8, '\0') + "\x1a\x0d" + "brain.Event:2";
  std::string file = frame(version) + frame(scalar_event(1700000000.5, 3, "epoch_loss", 0.25f)) +
                     frame(tensor_event(4, "val/acc", 0.75f));
  auto r = read_event_records(file, "ev");
  CHECK(r.problems.empty());
  REQUIRE(r.scalars.size() == 2);
  CHECK(r.scalars[0].tag == "epoch_loss");
  CHECK(r.scalars[0].step == 3);
  CHECK(r.scalars[0].wall_time == doctest::Approx(1700000000.5));
  CHECK(r.scalars[0].value == 0.25);
  CHECK(r.scalars[1].tag == "val/acc");
  CHECK(r.scalars[1].step == 4);
  CHECK(r.scalars[1].value == 0.75);
}

TEST_CASE("event files: a corrupt record is skipped and named; a truncated tail ends reading") {
  std::string good1 = frame(scalar_event(1, 1, "loss", 1.0f));
  std::string bad = frame(scalar_event(1, 2, "loss", 0.5f));
  bad[bad.size() - 6] ^= 0x40;  // flip a payload bit: the payload CRC no longer matches
  std::string good2 = frame(scalar_event(1, 3, "loss", 0.25f));
  std::string tail = frame(scalar_event(1, 4, "loss", 0.125f));
  tail.resize(tail.size() - 3);  // the writer was killed mid-record
  auto r = read_event_records(good1 + bad + good2 + tail, "run/events.out.tfevents.1");
  REQUIRE(r.scalars.size() == 2);
  CHECK(r.scalars[0].step == 1);
  CHECK(r.scalars[1].step == 3);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0] == "run/events.out.tfevents.1: record 2 at byte " +
                             std::to_string(good1.size()) +
                             ": payload CRC mismatch, record skipped");
  CHECK(r.problems[1].find("record 4") != std::string::npos);
  CHECK(r.problems[1].find("truncated record, rest of the file skipped") != std::string::npos);

  std::string bad_len = good1;
  bad_len[9] ^= 1;  // the length's CRC
  r = read_event_records(bad_len, "x");
  CHECK(r.scalars.empty());
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0] == "x: record 1 at byte 0: length CRC mismatch, rest of the file skipped");
}
