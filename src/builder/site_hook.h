// The site hook that has Python process the `.pth` files of the locked packages at start-up.
// The packages live in /opt/mlbox/site-packages, on PYTHONPATH; Python reads `.pth` files only
// in site directories, and a PYTHONPATH entry is not one. The image sets
// PYTHONUSERBASE=/opt/mlbox/user, which makes /opt/mlbox/user/lib/pythonX.Y/site-packages the
// user site directory that site.py processes at every start; the one file there,
// mlbox-site-packages.pth, runs `site.addsitedir("/opt/mlbox/site-packages")`, which processes
// that directory's `.pth` files (path lines and `import` lines) in name order, as pip's own
// site-packages would be. PYTHONPATH stays, so the packages import even where the user site is
// off (`python -s`, PYTHONNOUSERSITE, a virtualenv's interpreter); only the `.pth` effects are
// missing there.
#pragma once

#include <string>

namespace mlbox::builder {

inline constexpr const char* kImageUserBase = "/opt/mlbox/user";
inline constexpr const char* kImageSitePackages = "/opt/mlbox/site-packages";

// "3.11" from "3.11", "3.11.4" or "python3.11"; the version as given when it has no dot.
std::string python_minor_version(const std::string& version);

// The hook's path in the image (no leading '/'), under the user site directory of Python
// `python_version`, and its one line.
std::string site_hook_image_path(const std::string& python_version);
std::string site_hook_text();

}  // namespace mlbox::builder
