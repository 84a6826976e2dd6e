#include "builder/site_hook.h"

#include <cctype>

#include <fmt/format.h>

namespace mlbox::builder {

std::string python_minor_version(const std::string& version) {
  size_t start = 0;
  while (start < version.size() && !std::isdigit(static_cast<unsigned char>(version[start]))) {
    ++start;
  }
  std::string v = version.substr(start);
  auto first = v.find('.');
  if (first == std::string::npos) return v;
  auto second = v.find('.', first + 1);
  return second == std::string::npos ? v : v.substr(0, second);
}

std::string site_hook_image_path(const std::string& python_version) {
  return fmt::format("{}/lib/python{}/site-packages/mlbox-site-packages.pth", kImageUserBase + 1,
                     python_minor_version(python_version));
}

std::string site_hook_text() {
  return fmt::format("import site; site.addsitedir(\"{}\")\n", kImageSitePackages);
}

}  // namespace mlbox::builder
