// Dotted numeric versions ("12.1", "2.3.1", "8.9.2.26") as used by CUDA, cuDNN, Python and
// framework releases: compared component by component, numerically.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlbox::dockerfile {

// The numeric components of `v`; a non-numeric component ends the parse ("2.3.1+cu121" -> 2,3,1).
std::vector<int> version_parts(std::string_view v);

// <0, 0, >0 like strcmp; missing components count as 0 ("12.1" == "12.1.0").
int compare_versions(std::string_view a, std::string_view b);

// The first `n` components joined with '.' ("12.1.1", 2 -> "12.1").
std::string version_prefix(std::string_view v, size_t n);

// True when `v` starts with every component of `prefix` ("12.1.1" has prefix "12.1" and "12").
bool version_has_prefix(std::string_view v, std::string_view prefix);

}  // namespace mlbox::dockerfile
