#include "dockerfile/dotted_version.h"

#include <cctype>

namespace mlbox::dockerfile {

std::vector<int> version_parts(std::string_view v) {
  std::vector<int> parts;
  size_t i = 0;
  while (i < v.size()) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) break;
    int n = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      n = n * 10 + (v[i] - '0');
      ++i;
    }
    parts.push_back(n);
    if (i < v.size() && v[i] == '.') {
      ++i;
    } else {
      break;
    }
  }
  return parts;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto pa = version_parts(a);
  auto pb = version_parts(b);
  size_t n = std::max(pa.size(), pb.size());
  for (size_t i = 0; i < n; ++i) {
    int x = i < pa.size() ? pa[i] : 0;
    int y = i < pb.size() ? pb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string version_prefix(std::string_view v, size_t n) {
  auto parts = version_parts(v);
  std::string out;
  for (size_t i = 0; i < parts.size() && i < n; ++i) {
    if (i) out += '.';
    out += std::to_string(parts[i]);
  }
  return out;
}

bool version_has_prefix(std::string_view v, std::string_view prefix) {
  auto pv = version_parts(v);
  auto pp = version_parts(prefix);
  if (pp.empty() || pp.size() > pv.size()) return false;
  for (size_t i = 0; i < pp.size(); ++i) {
    if (pv[i] != pp[i]) return false;
  }
  return true;
}

}  // namespace mlbox::dockerfile
