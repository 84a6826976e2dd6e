#include "native/datasets.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <numeric>

#include "native/array_readers.h"
#include "util/error.h"
#include "util/fs.h"

namespace mlbox::trainer {

namespace {

at::ScalarType scalar_type(const NdArray& a, const std::string& name) {
  if (a.dtype == "f4") return at::kFloat;
  if (a.dtype == "f8") return at::kDouble;
  if (a.dtype == "i1") return at::kChar;
  if (a.dtype == "i2") return at::kShort;
  if (a.dtype == "i4") return at::kInt;
  if (a.dtype == "i8") return at::kLong;
  if (a.dtype == "u1") return at::kByte;
  if (a.dtype == "b1") return at::kBool;
  throw Error(ErrorKind::kConfig, name + ": unsupported dtype " + a.dtype);
}

at::Tensor to_tensor(const NdArray& a, const std::string& name) {
  auto t = at::empty(a.shape, at::TensorOptions().dtype(scalar_type(a, name)));
  if (static_cast<size_t>(t.nbytes()) != a.data.size()) {
    throw Error(ErrorKind::kConfig, name + ": data size does not match its shape");
  }
  std::memcpy(t.data_ptr(), a.data.data(), a.data.size());
  return t;
}

at::Tensor ivalue_tensor(const c10::IValue& v, const std::string& what, const std::string& name) {
  if (!v.isTensor()) {
    throw Error(ErrorKind::kConfig, name + ": " + what + " is a " + v.tagKind() + ", not a tensor");
  }
  return v.toTensor();
}

void load_pt(const DataSpec& spec, at::Tensor& x, at::Tensor& y) {
  std::string bytes = fs::read_file(spec.path);
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kConfig, spec.path + ": cannot read as torch.save output: " + e.what(),
                "save with torch.save((x, y), path) or torch.save({'x': x, 'y': y}, path)");
  }
  if (v.isTuple() || v.isList()) {
    std::vector<c10::IValue> items;
    if (v.isTuple()) {
      items = v.toTupleRef().elements().vec();
    } else {
      for (const auto& e : v.toListRef()) items.push_back(e);
    }
    if (items.size() != 2) {
      throw Error(ErrorKind::kConfig, spec.path + ": expected a pair (x, y), got " +
                                          std::to_string(items.size()) + " items");
    }
    x = ivalue_tensor(items[0], "item 0", spec.path);
    y = ivalue_tensor(items[1], "item 1", spec.path);
  } else if (v.isGenericDict()) {
    auto dict = v.toGenericDict();
    for (auto& [key, out] : {std::pair{spec.features_key, &x}, std::pair{spec.labels_key, &y}}) {
      auto it = dict.find(c10::IValue(key));
      if (it == dict.end()) {
        throw Error(ErrorKind::kConfig, spec.path + ": no key '" + key + "' in the saved dict",
                    "set features_key / labels_key");
      }
      *out = ivalue_tensor(it->value(), "'" + key + "'", spec.path);
    }
  } else {
    throw Error(ErrorKind::kConfig,
                spec.path + ": expected a (x, y) pair or a dict, got " + v.tagKind(),
                "save with torch.save((x, y), path)");
  }
}

}  // namespace

TensorDataset load_dataset(const DataSpec& spec, const std::vector<int64_t>& input_shape,
                           const std::string& loss) {
  at::Tensor x, y;
  if (spec.format == "csv") {
    at::Tensor table = to_tensor(read_csv(spec.path, spec.header), spec.path);
    int64_t cols = table.size(1);
    int64_t lc = spec.label_column < 0 ? cols + spec.label_column : spec.label_column;
    if (lc < 0 || lc >= cols || cols < 2) {
      throw Error(ErrorKind::kConfig, spec.path + ": label_column " +
                                          std::to_string(spec.label_column) + " is outside " +
                                          std::to_string(cols) + " columns");
    }
    y = table.select(1, lc).clone();
    std::vector<int64_t> keep(static_cast<size_t>(cols - 1));
    std::iota(keep.begin(), keep.end(), 0);
    for (auto& k : keep) k += k >= lc ? 1 : 0;
    x = table.index_select(1, at::tensor(keep, at::kLong));
  } else if (spec.format == "npy") {
    x = to_tensor(read_npy(spec.path), spec.path);
    y = to_tensor(read_npy(spec.labels_path), spec.labels_path);
  } else if (spec.format == "npz") {
    x = to_tensor(read_npz(spec.path, spec.features_key), spec.path);
    y = to_tensor(read_npz(spec.path, spec.labels_key), spec.path);
  } else if (spec.format == "idx") {
    x = to_tensor(read_idx(spec.path), spec.path);
    y = to_tensor(read_idx(spec.labels_path), spec.labels_path);
  } else if (spec.format == "pt") {
    load_pt(spec, x, y);
  } else {
    throw Error(ErrorKind::kConfig, spec.path + ": unknown format " + spec.format);
  }
  if (x.dim() == 0 || y.dim() == 0 || x.size(0) != y.size(0)) {
    throw Error(ErrorKind::kConfig, spec.path + ": " + std::to_string(x.dim() ? x.size(0) : 0) +
                                        " samples but " + std::to_string(y.dim() ? y.size(0) : 0) +
                                        " labels");
  }
  x = x.to(at::kFloat).contiguous();
  if (spec.scale != 1.0) x.mul_(spec.scale);
  if (!input_shape.empty()) {
    std::vector<int64_t> shape = {x.size(0)};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    int64_t want =
        std::accumulate(input_shape.begin(), input_shape.end(), int64_t{1}, std::multiplies<>());
    if (x.numel() != want * x.size(0)) {
      throw Error(ErrorKind::kConfig, spec.path + ": a sample has " +
                                          std::to_string(x.numel() / x.size(0)) +
                                          " values, input_shape needs " + std::to_string(want));
    }
    x = x.reshape(shape).contiguous();
  }
  if (loss == "cross_entropy") {
    if (y.is_floating_point() && !at::equal(y, y.round())) {
      throw Error(ErrorKind::kConfig, spec.path + ": cross_entropy needs integer class labels");
    }
    y = y.to(at::kLong).reshape({y.size(0)});
  } else {
    y = y.to(at::kFloat);
  }
  return {x, y.contiguous()};
}

void split_validation(TensorDataset& train, double fraction, TensorDataset& validation) {
  int64_t n = train.size();
  int64_t nval = static_cast<int64_t>(static_cast<double>(n) * fraction);
  if (nval <= 0 || nval >= n) {
    throw Error(ErrorKind::kConfig, "validation_split " + std::to_string(fraction) + " of " +
                                        std::to_string(n) + " samples leaves an empty split");
  }
  validation.x = train.x.narrow(0, n - nval, nval).contiguous();
  validation.y = train.y.narrow(0, n - nval, nval).contiguous();
  train.x = train.x.narrow(0, 0, n - nval).contiguous();
  train.y = train.y.narrow(0, 0, n - nval).contiguous();
}

}  // namespace mlbox::trainer
