#include "metrics/event_file_reader.h"

#include <cstring>
#include <optional>

#include "util/crc32c.h"
#include "util/fs.h"

namespace mlbox::metrics {

namespace {

uint64_t le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

// A protobuf wire-format reader over one message; stops (ok() false) on malformed input.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : d_(data) {}
  bool next(uint32_t& field, uint32_t& wire) {
    if (pos_ >= d_.size() || !ok_) return false;
    uint64_t key = 0;
    if (!varint(key)) return false;
    field = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) return ok_ = false;
      auto b = static_cast<unsigned char>(d_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return ok_ = false;
  }
  bool fixed(int bytes, uint64_t& v) {
    if (d_.size() - pos_ < static_cast<size_t>(bytes)) return ok_ = false;
    v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d_[pos_ + i]);
    pos_ += bytes;
    return true;
  }
  bool bytes(std::string_view& out) {
    uint64_t n = 0;
    if (!varint(n) || d_.size() - pos_ < n) return ok_ = false;
    out = d_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(uint32_t wire) {
    uint64_t v;
    std::string_view s;
    switch (wire) {
      case 0:
        return varint(v);
      case 1:
        return fixed(8, v);
      case 2:
        return bytes(s);
      case 5:
        return fixed(4, v);
      default:
        return ok_ = false;
    }
  }
  bool ok() const { return ok_; }

 private:
  std::string_view d_;
  size_t pos_ = 0;
  bool ok_ = true;
};

double as_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
float as_float(uint64_t bits) {
  auto b32 = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b32, sizeof f);
  return f;
}

// TensorProto: dtype=1 (1 float, 2 double), tensor_content=4, float_val=5, double_val=6.
std::optional<double> tensor_scalar(std::string_view data) {
  ProtoReader r(data);
  uint32_t f, w;
  uint64_t dtype = 0;
  std::string_view content;
  std::optional<double> val;
  while (r.next(f, w)) {
    if (f == 1 && w == 0) {
      if (!r.varint(dtype)) return std::nullopt;
    } else if (f == 4 && w == 2) {
      if (!r.bytes(content)) return std::nullopt;
    } else if ((f == 5 || f == 6) && w == 2) {  // packed
      std::string_view packed;
      if (!r.bytes(packed)) return std::nullopt;
      int width = f == 5 ? 4 : 8;
      if (packed.size() >= static_cast<size_t>(width)) {
        std::string s(packed.substr(0, width));
        uint64_t bits = le(s, 0, width);
        val = f == 5 ? static_cast<double>(as_float(bits)) : as_double(bits);
      }
    } else if (f == 5 && w == 5) {
      uint64_t bits;
      if (!r.fixed(4, bits)) return std::nullopt;
      val = as_float(bits);
    } else if (f == 6 && w == 1) {
      uint64_t bits;
      if (!r.fixed(8, bits)) return std::nullopt;
      val = as_double(bits);
    } else if (!r.skip(w)) {
      return std::nullopt;
    }
  }
  if (val) return val;
  std::string c(content);
  if (dtype == 1 && c.size() == 4) return as_float(le(c, 0, 4));
  if (dtype == 2 && c.size() == 8) return as_double(le(c, 0, 8));
  return std::nullopt;
}

// Summary.Value: tag=1, simple_value=2 (float), tensor=8.
void read_value(std::string_view data, double wall, int64_t step, EventFileScalars& out) {
  ProtoReader r(data);
  uint32_t f, w;
  std::string tag;
  std::optional<double> v;
  while (r.next(f, w)) {
    std::string_view s;
    uint64_t bits;
    if (f == 1 && w == 2) {
      if (!r.bytes(s)) return;
      tag = std::string(s);
    } else if (f == 2 && w == 5) {
      if (!r.fixed(4, bits)) return;
      v = as_float(bits);
    } else if (f == 8 && w == 2) {
      if (!r.bytes(s)) return;
      v = tensor_scalar(s);
    } else if (!r.skip(w)) {
      return;
    }
  }
  if (r.ok() && v && !tag.empty()) out.scalars.push_back({tag, step, wall, *v});
}

// Event: wall_time=1 (double), step=2 (int64), summary=5 {value=1 repeated}.
void read_event(std::string_view data, EventFileScalars& out) {
  ProtoReader r(data);
  uint32_t f, w;
  double wall = 0;
  int64_t step = 0;
  std::vector<std::string_view> summaries;
  while (r.next(f, w)) {
    uint64_t v;
    std::string_view s;
    if (f == 1 && w == 1) {
      if (!r.fixed(8, v)) return;
      wall = as_double(v);
    } else if (f == 2 && w == 0) {
      if (!r.varint(v)) return;
      step = static_cast<int64_t>(v);
    } else if (f == 5 && w == 2) {
      if (!r.bytes(s)) return;
      summaries.push_back(s);
    } else if (!r.skip(w)) {
      return;
    }
  }
  for (auto summary : summaries) {
    ProtoReader sr(summary);
    while (sr.next(f, w)) {
      std::string_view value;
      if (f == 1 && w == 2) {
        if (!sr.bytes(value)) break;
        read_value(value, wall, step, out);
      } else if (!sr.skip(w)) {
        break;
      }
    }
  }
}

}  // namespace

EventFileScalars read_event_records(const std::string& bytes, const std::string& source) {
  EventFileScalars out;
  size_t pos = 0;
  int record = 0;
  while (pos < bytes.size()) {
    ++record;
    auto where = source + ": record " + std::to_string(record) + " at byte " + std::to_string(pos);
    if (bytes.size() - pos < 12) {
      out.problems.push_back(where + ": truncated header, rest of the file skipped");
      break;
    }
    uint64_t len = le(bytes, pos, 8);
    auto len_crc = static_cast<uint32_t>(le(bytes, pos + 8, 4));
    if (mask_crc32c(crc32c(bytes.data() + pos, 8)) != len_crc) {
      // The length itself cannot be trusted: nothing after it can be framed.
      out.problems.push_back(where + ": length CRC mismatch, rest of the file skipped");
      break;
    }
    if (bytes.size() - pos - 12 < len + 4) {
      out.problems.push_back(where + ": truncated record, rest of the file skipped");
      break;
    }
    std::string_view payload(bytes.data() + pos + 12, len);
    auto data_crc = static_cast<uint32_t>(le(bytes, pos + 12 + len, 4));
    pos += 12 + len + 4;
    if (mask_crc32c(crc32c(payload)) != data_crc) {
      out.problems.push_back(where + ": payload CRC mismatch, record skipped");
      continue;
    }
    read_event(payload, out);
  }
  return out;
}

EventFileScalars read_event_file(const std::filesystem::path& path) {
  std::string bytes;
  if (!fs::read_file_if_exists(path, bytes)) {
    EventFileScalars out;
    out.problems.push_back(path.string() + ": cannot be read");
    return out;
  }
  return read_event_records(bytes, path.string());
}

}  // namespace mlbox::metrics
