// TensorBoard event files without TensorFlow: TFRecord framing (length, masked CRC32C of the
// length, payload, masked CRC32C of the payload) around hand-encoded tensorflow.Event protos
// carrying scalar summaries.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace mlbox::trainer {

// One TFRecord: u64le length, u32le masked crc32c(length bytes), data, u32le masked crc(data).
std::string tfrecord_frame(const std::string& payload);

// tensorflow.Event encodings (wall_time=1 double, step=2 int64, file_version=3 string,
// summary=5 Summary{value=1 Value{tag=1 string, simple_value=2 float}}).
std::string event_file_version(double wall_time);
std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value);

// Appends events to "<dir>/events.out.tfevents.<seconds>.<host>.<pid>.mlbox".
class TensorBoardWriter {
 public:
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;
  void scalar(const std::string& tag, int64_t step, float value);
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);
  std::string path_;
  FILE* file_ = nullptr;
};

}  // namespace mlbox::trainer
