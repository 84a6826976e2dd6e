#include "native/array_readers.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::trainer {

namespace {

Error bad(const std::string& name, const std::string& what) {
  return Error(ErrorKind::kConfig, name + ": " + what);
}

int dtype_size(const std::string& dtype) {
  if (dtype.size() < 2) return 0;
  int n = 0;
  std::from_chars(dtype.data() + 1, dtype.data() + dtype.size(), n);
  return n;
}

}  // namespace

int64_t NdArray::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string read_maybe_gzip(const std::string& path) {
  std::string raw = fs::read_file(path);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
      static_cast<unsigned char>(raw[1]) != 0x8b) {
    return raw;
  }
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw bad(path, "zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw bad(path, "corrupt gzip data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return out;
}

NdArray parse_npy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    throw bad(name, "not a .npy file (bad magic)");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  auto u8 = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(bytes[i])); };
  if (major == 1) {
    header_len = u8(8) | (u8(9) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) throw bad(name, "truncated .npy header");
    header_len = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (u8(11) << 24);
    offset = 12;
  }
  if (offset + header_len > bytes.size()) throw bad(name, "truncated .npy header");
  std::string header = bytes.substr(offset, header_len);
  auto field = [&](const std::string& key) -> std::string {
    auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw bad(name, "npy header lacks '" + key + "'");
    auto colon = header.find(':', k);
    size_t v = header.find_first_not_of(' ', colon + 1);
    if (header[v] == '\'') return header.substr(v + 1, header.find('\'', v + 1) - v - 1);
    if (header[v] == '(') return header.substr(v + 1, header.find(')', v) - v - 1);
    size_t end = header.find_first_of(",}", v);
    return std::string(trim(header.substr(v, end - v)));
  };
  std::string descr = field("descr");
  if (field("fortran_order") != "False") throw bad(name, "Fortran-order arrays are not supported");
  NdArray a;
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')) {
    throw bad(name, "unsupported dtype '" + descr + "' (need little-endian numbers)");
  }
  a.dtype = descr.substr(1);
  static const std::vector<std::string> ok = {"f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1"};
  if (std::find(ok.begin(), ok.end(), a.dtype) == ok.end()) {
    throw bad(name, "unsupported dtype '" + descr + "'");
  }
  for (const auto& part : split(field("shape"), ',')) {
    auto t = trim(part);
    if (t.empty()) continue;
    int64_t d = 0;
    std::from_chars(t.data(), t.data() + t.size(), d);
    a.shape.push_back(d);
  }
  size_t nbytes = static_cast<size_t>(a.numel()) * static_cast<size_t>(dtype_size(a.dtype));
  size_t data_at = offset + header_len;
  if (bytes.size() - data_at < nbytes) {
    throw bad(name, "truncated .npy data: " + std::to_string(bytes.size() - data_at) + " of " +
                        std::to_string(nbytes) + " bytes");
  }
  a.data = bytes.substr(data_at, nbytes);
  return a;
}

NdArray read_npy(const std::string& path) {
  return parse_npy(read_maybe_gzip(path), path);
}

namespace {

uint32_t le32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}
uint16_t le16(const std::string& b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}
uint64_t le64(const std::string& b, size_t at) {
  return static_cast<uint64_t>(le32(b, at)) | (static_cast<uint64_t>(le32(b, at + 4)) << 32);
}

struct ZipEntry {
  std::string name;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0, size = 0, offset = 0;
};

// The central directory of a .npz (a zip, ZIP64 as numpy writes it with force_zip64).
std::vector<ZipEntry> zip_entries(const std::string& b, const std::string& path) {
  if (b.size() < 22) throw bad(path, "not a .npz (zip) file: too short");
  size_t eocd = std::string::npos;
  size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (size_t i = b.size() - 22 + 1; i-- > lowest;) {
    if (le32(b, i) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos)
    throw bad(path, "not a .npz (zip) file: no end of central directory");
  uint64_t count = le16(b, eocd + 10);
  uint64_t cd = le32(b, eocd + 16);
  if ((count == 0xFFFF || cd == 0xFFFFFFFF) && eocd >= 20 && le32(b, eocd - 20) == 0x07064b50) {
    uint64_t z64 = le64(b, eocd - 20 + 8);
    if (z64 + 56 > b.size() || le32(b, z64) != 0x06064b50)
      throw bad(path, "corrupt .npz: bad ZIP64 record");
    count = le64(b, z64 + 32);
    cd = le64(b, z64 + 48);
  }
  std::vector<ZipEntry> out;
  size_t at = cd;
  for (uint64_t n = 0; n < count; ++n) {
    if (at + 46 > b.size() || le32(b, at) != 0x02014b50)
      throw bad(path, "corrupt .npz: bad central directory");
    ZipEntry e;
    e.method = le16(b, at + 10);
    e.crc = le32(b, at + 16);
    e.compressed = le32(b, at + 20);
    e.size = le32(b, at + 24);
    size_t name_len = le16(b, at + 28), extra_len = le16(b, at + 30),
           comment_len = le16(b, at + 32);
    e.offset = le32(b, at + 42);
    if (at + 46 + name_len + extra_len > b.size()) throw bad(path, "corrupt .npz: truncated entry");
    e.name = b.substr(at + 46, name_len);
    size_t x = at + 46 + name_len, x_end = x + extra_len;
    while (x + 4 <= x_end) {
      uint16_t id = le16(b, x), len = le16(b, x + 2);
      size_t f = x + 4;
      if (id == 0x0001) {  // ZIP64: the fields that overflowed, in this order
        if (e.size == 0xFFFFFFFF && f + 8 <= x_end) e.size = le64(b, f), f += 8;
        if (e.compressed == 0xFFFFFFFF && f + 8 <= x_end) e.compressed = le64(b, f), f += 8;
        if (e.offset == 0xFFFFFFFF && f + 8 <= x_end) e.offset = le64(b, f), f += 8;
      }
      x += 4 + len;
    }
    out.push_back(e);
    at = x_end + comment_len;
  }
  return out;
}

std::string zip_read(const std::string& b, const ZipEntry& e, const std::string& name) {
  if (e.offset + 30 > b.size() || le32(b, e.offset) != 0x04034b50)
    throw bad(name, "corrupt .npz: bad local header");
  size_t data = e.offset + 30 + le16(b, e.offset + 26) + le16(b, e.offset + 28);
  if (data + e.compressed > b.size()) throw bad(name, "corrupt .npz: truncated data");
  std::string out;
  if (e.method == 0) {
    out = b.substr(data, e.compressed);
  } else if (e.method == 8) {
    out.resize(e.size);
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw bad(name, "zlib: cannot inflate");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data() + data));
    z.avail_in = static_cast<uInt>(e.compressed);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if (rc != Z_STREAM_END || z.total_out != e.size) throw bad(name, "corrupt .npz: deflate data");
  } else {
    throw bad(name, "unsupported .npz compression method " + std::to_string(e.method));
  }
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  if (crc != e.crc) throw bad(name, "corrupt .npz: CRC mismatch");
  return out;
}

}  // namespace

NdArray read_npz(const std::string& path, const std::string& key) {
  std::string bytes = fs::read_file(path);
  std::vector<std::string> names;
  for (const ZipEntry& e : zip_entries(bytes, path)) {
    names.push_back(e.name);
    if (e.name != key + ".npy") continue;
    return parse_npy(zip_read(bytes, e, path + ":" + e.name), path + ":" + e.name);
  }
  throw Error(ErrorKind::kConfig, path + ": no array '" + key + "' in the .npz",
              "arrays present: " + join(names, ", ") + " (set features_key / labels_key)");
}

NdArray parse_idx(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0) throw bad(name, "not an IDX file");
  auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])); };
  int type = static_cast<int>(u8(2));
  int dims = static_cast<int>(u8(3));
  NdArray a;
  int size = 0;
  switch (type) {
    case 0x08:
      a.dtype = "u1";
      size = 1;
      break;
    case 0x09:
      a.dtype = "i1";
      size = 1;
      break;
    case 0x0B:
      a.dtype = "i2";
      size = 2;
      break;
    case 0x0C:
      a.dtype = "i4";
      size = 4;
      break;
    case 0x0D:
      a.dtype = "f4";
      size = 4;
      break;
    case 0x0E:
      a.dtype = "f8";
      size = 8;
      break;
    default:
      throw bad(name, "unknown IDX element type " + std::to_string(type));
  }
  size_t at = 4 + 4 * static_cast<size_t>(dims);
  if (dims == 0 || bytes.size() < at) throw bad(name, "truncated IDX header");
  for (int d = 0; d < dims; ++d) {
    size_t o = 4 + 4 * static_cast<size_t>(d);
    a.shape.push_back((u8(o) << 24) | (u8(o + 1) << 16) | (u8(o + 2) << 8) | u8(o + 3));
  }
  size_t nbytes = static_cast<size_t>(a.numel()) * static_cast<size_t>(size);
  if (bytes.size() - at < nbytes) throw bad(name, "truncated IDX data");
  a.data = bytes.substr(at, nbytes);
  if (size > 1) {  // IDX is big-endian; NdArray is little-endian
    for (size_t i = 0; i < a.data.size(); i += static_cast<size_t>(size)) {
      std::reverse(a.data.begin() + static_cast<std::ptrdiff_t>(i),
                   a.data.begin() + static_cast<std::ptrdiff_t>(i) + size);
    }
  }
  return a;
}

NdArray read_idx(const std::string& path) {
  return parse_idx(read_maybe_gzip(path), path);
}

NdArray read_csv(const std::string& path, bool header) {
  std::string text = read_maybe_gzip(path);
  NdArray a;
  a.dtype = "f8";
  std::vector<double> values;
  int64_t cols = -1, rows = 0;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty() || (header && line_no == 1)) continue;
    int64_t n = 0;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      std::string_view cell = trim(line.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      double v = 0;
      auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec != std::errc() || p != cell.data() + cell.size()) {
        throw Error(ErrorKind::kConfig,
                    path + ":" + std::to_string(line_no) + ":" + std::to_string(start + 1) +
                        ": not a number: '" + std::string(cell) + "'",
                    line_no == 1 ? "set header: true if the first line holds column names" : "");
      }
      values.push_back(v);
      ++n;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (cols >= 0 && n != cols) {
      throw Error(ErrorKind::kConfig, path + ":" + std::to_string(line_no) + ": " +
                                          std::to_string(n) + " columns, expected " +
                                          std::to_string(cols));
    }
    cols = n;
    ++rows;
  }
  if (rows == 0) throw bad(path, "no data rows");
  a.shape = {rows, cols};
  a.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  return a;
}

}  // namespace mlbox::trainer
