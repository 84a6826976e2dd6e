#include "native/tensorboard_writer.h"

#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/crc32c.h"
#include "util/error.h"

namespace mlbox::trainer {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_tag(std::string& out, int field, int wire) {
  put_varint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire));
}

void put_bytes(std::string& out, int field, const std::string& data) {
  put_tag(out, field, 2);
  put_varint(out, data.size());
  out += data;
}

void put_double(std::string& out, int field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_tag(out, field, 1);
  put_le(out, bits, 8);
}

double now_seconds() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

std::string tfrecord_frame(const std::string& payload) {
  std::string len;
  put_le(len, payload.size(), 8);
  std::string out = len;
  put_le(out, mask_crc32c(crc32c(len)), 4);
  out += payload;
  put_le(out, mask_crc32c(crc32c(payload)), 4);
  return out;
}

std::string event_file_version(double wall_time) {
  std::string e;
  put_double(e, 1, wall_time);
  put_bytes(e, 3, "brain.Event:2");
  return e;
}

std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string v;
  put_bytes(v, 1, tag);
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_tag(v, 2, 5);
  put_le(v, bits, 4);
  std::string summary;
  put_bytes(summary, 1, v);
  std::string e;
  put_double(e, 1, wall_time);
  put_tag(e, 2, 0);
  put_varint(e, static_cast<uint64_t>(step));
  put_bytes(e, 5, summary);
  return e;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  double t = now_seconds();
  path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<long long>(t)) + "." + host +
          "." + std::to_string(getpid()) + ".mlbox";
  file_ = std::fopen(path_.c_str(), "ab");
  if (!file_) {
    throw Error(ErrorKind::kConfig, path_ + ": cannot create event file: " + std::strerror(errno),
                "check MLBOX_TENSORBOARD_DIR");
  }
  write_record(event_file_version(t));
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_) std::fclose(file_);
}

void TensorBoardWriter::write_record(const std::string& payload) {
  std::string rec = tfrecord_frame(payload);
  if (std::fwrite(rec.data(), 1, rec.size(), file_) != rec.size()) {
    throw Error(ErrorKind::kInternal, path_ + ": write failed: " + std::strerror(errno));
  }
}

void TensorBoardWriter::scalar(const std::string& tag, int64_t step, float value) {
  write_record(event_scalar(now_seconds(), step, tag, value));
}

void TensorBoardWriter::flush() {
  std::fflush(file_);
}

}  // namespace mlbox::trainer
