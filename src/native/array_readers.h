// Readers for the dataset file formats that need no torch: NumPy .npy / .npz, MNIST IDX
// (optionally gzip'd) and numeric CSV (optionally gzip'd). Each yields a dense C-order array;
// datasets.cpp turns it into tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlbox::trainer {

struct NdArray {
  std::vector<int64_t> shape;
  // NumPy-style kind+size: "f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1".
  std::string dtype;
  std::string data;  // little-endian, C order
  int64_t numel() const;
};

// .npy bytes (format 1.0 / 2.0 / 3.0). `name` is used in error messages.
NdArray parse_npy(const std::string& bytes, const std::string& name);
NdArray read_npy(const std::string& path);
// One array of an .npz archive (stored or deflated), by key without ".npy".
NdArray read_npz(const std::string& path, const std::string& key);
// MNIST IDX: magic 0x0000TTDD (type TT, DD dimensions), big-endian sizes. ".gz" is inflated.
NdArray parse_idx(const std::string& bytes, const std::string& name);
NdArray read_idx(const std::string& path);

// Numeric CSV: every row the same number of columns; "f8" [rows, cols]. ".gz" is inflated.
NdArray read_csv(const std::string& path, bool header);

// Whole file, inflated when it is gzip'd (magic 1f 8b).
std::string read_maybe_gzip(const std::string& path);

}  // namespace mlbox::trainer
