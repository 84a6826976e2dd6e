// TensorBoard event files (events.out.tfevents.*) read without TensorFlow: TFRecord framing
// (u64le length, masked CRC32C of the length, payload, masked CRC32C of the payload) around
// tensorflow.Event protos. Scalars come from summary values with simple_value (what
// mlbox-native, PyTorch's SummaryWriter and tf.keras' TensorBoard callback of TF1 write) or a
// scalar float/double tensor (TF2's tf.summary.scalar).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mlbox::metrics {

struct ScalarEvent {
  std::string tag;
  int64_t step = 0;
  double wall_time = 0;
  double value = 0;
};

struct EventFileScalars {
  std::vector<ScalarEvent> scalars;
  // "events.out.tfevents.1.x: record 7 at byte 412: payload CRC mismatch, record skipped";
  // a truncated tail ends the reading with one problem.
  std::vector<std::string> problems;
};

// `source` names the file in problems.
EventFileScalars read_event_records(const std::string& bytes, const std::string& source);
EventFileScalars read_event_file(const std::filesystem::path& path);

}  // namespace mlbox::metrics
