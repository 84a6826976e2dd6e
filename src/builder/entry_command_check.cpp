#include "builder/entry_command_check.h"

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "image/image_config.h"
#include "image/oci_layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace mlbox::builder {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string without_slashes(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.rfind("./", 0) == 0) p.erase(0, 2);
  return p;
}

std::string joined(const std::string& dir, const std::string& name) {
  std::string d = without_slashes(dir);
  return d.empty() ? name : d + "/" + name;
}

bool has_script_suffix(const std::string& arg) {
  for (const char* ext : {".py", ".sh", ".R", ".jl", ".pl", ".rb"}) {
    if (ends_with(arg, ext)) return true;
  }
  return false;
}

// Programs on PATH named like `program` ("python" for "python3", "python3" for "python").
std::vector<std::string> similar_programs(const ImageFiles& image,
                                          const std::vector<std::string>& dirs,
                                          const std::string& program) {
  const std::set<std::string>& files = image.paths;
  std::vector<std::string> out;
  for (const auto& dir : dirs) {
    std::string prefix = without_slashes(dir) + "/";
    for (auto it = files.lower_bound(prefix); it != files.end() && starts_with(*it, prefix); ++it) {
      std::string name = it->substr(prefix.size());
      if (name.empty() || name.find('/') != std::string::npos) continue;
      bool prefixed = name.size() >= 3 && program.size() >= 3 &&
                      (starts_with(name, program) || starts_with(program, name));
      if (prefixed || edit_distance(name, program) <= 1) out.push_back("/" + *it);
    }
  }
  return out;
}

// A layer's entries in tar order: path and symlink target (empty when not a link).
using LayerPaths = std::vector<std::pair<std::string, std::string>>;

LayerPaths read_layer_paths(const std::filesystem::path& blob) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_empty(a);
  if (archive_read_open_filename(a, blob.c_str(), 1 << 16) != ARCHIVE_OK) {
    std::string why = archive_error_string(a) ? archive_error_string(a) : "unreadable";
    archive_read_free(a);
    throw Error(ErrorKind::kInternal, "cannot read layer " + blob.string() + ": " + why);
  }
  LayerPaths out;
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(entry);
    if (!raw) continue;
    const char* target = archive_entry_symlink(entry);
    out.emplace_back(raw, target ? target : "");
    archive_read_data_skip(a);
  }
  archive_read_free(a);
  return out;
}

// A layer's paths, kept in $MLBOX_HOME/cache/layer-paths by the blob's digest (content
// addressed: never stale), so a build does not decompress every layer of the image again —
// a gigabyte of torch in the deps layers — to check its command.
std::filesystem::path layer_paths_file(const std::string& digest) {
  auto colon = digest.find(':');
  return fs::mlbox_home() / "cache" / "layer-paths" /
         (digest.substr(colon == std::string::npos ? 0 : colon + 1) + ".json");
}

void store_layer_paths(const std::filesystem::path& cached, const LayerPaths& paths) {
  std::error_code ec;
  std::filesystem::create_directories(cached.parent_path(), ec);
  try {
    fs::write_file_atomic(cached, nlohmann::json(paths).dump());
  } catch (const std::exception&) {
    // a read-only home only costs the next build a read
  }
}

LayerPaths layer_paths(const std::filesystem::path& blob, const std::string& digest) {
  std::filesystem::path cached = layer_paths_file(digest);
  std::string text;
  if (fs::read_file_if_exists(cached, text)) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_array()) {
      try {
        return j.get<LayerPaths>();
      } catch (const std::exception&) {
        // damaged: read the layer again
      }
    }
  }
  LayerPaths paths = read_layer_paths(blob);
  store_layer_paths(cached, paths);
  return paths;
}

void apply_layer(const LayerPaths& entries, ImageFiles& image) {
  std::set<std::string>& files = image.paths;
  std::set<std::string> added;
  for (const auto& [raw, target] : entries) {
    std::string path = without_slashes(raw);
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base == ".wh..wh..opq") {  // opaque: lower entries of dir are gone
      std::string prefix = dir + "/";
      for (auto it = files.lower_bound(prefix); it != files.end() && starts_with(*it, prefix);) {
        it = added.count(*it) ? std::next(it) : files.erase(it);
      }
    } else if (starts_with(base, ".wh.")) {
      std::string gone = joined(dir, base.substr(4));
      files.erase(gone);
      image.links.erase(gone);
      std::string prefix = gone + "/";
      for (auto it = files.lower_bound(prefix); it != files.end() && starts_with(*it, prefix);) {
        it = files.erase(it);
      }
    } else if (!path.empty()) {
      files.insert(path);
      added.insert(path);
      if (!target.empty()) {
        image.links[path] = target;
      } else {
        image.links.erase(path);
      }
    }
  }
}

}  // namespace

bool ImageFiles::exists(const std::string& path) const {
  // Resolve component by component; a link's target is relative to its folder unless
  // absolute. 40 hops at most, as the kernel allows.
  std::vector<std::string> todo = split(without_slashes(path), '/');
  std::string done;
  int hops = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    const std::string& part = todo[i];
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      auto slash = done.rfind('/');
      done = slash == std::string::npos ? "" : done.substr(0, slash);
      continue;
    }
    std::string next = done.empty() ? part : done + "/" + part;
    auto link = links.find(next);
    if (link != links.end()) {
      if (++hops > 40) return false;
      std::vector<std::string> rest(todo.begin() + static_cast<long>(i) + 1, todo.end());
      std::string target = link->second;
      if (target.front() == '/') done.clear();
      todo = split(without_slashes(target), '/');
      todo.insert(todo.end(), rest.begin(), rest.end());
      i = static_cast<size_t>(-1);
      continue;
    }
    // Layers need not list parent folders; only the last component must be there.
    if (i + 1 == todo.size() && !paths.count(next)) return false;
    done = next;
  }
  return !done.empty();
}

std::optional<EntryCommandProblem> check_entry_command(const ImageFiles& files,
                                                       const std::vector<std::string>& command,
                                                       const std::string& path_env,
                                                       const std::string& working_dir) {
  if (command.empty()) return std::nullopt;
  const std::string& program = command.front();
  std::string path_value = path_env.empty() ? kDefaultPath : path_env;
  std::vector<std::string> dirs;
  for (const auto& d : split(path_value, ':')) {
    if (!d.empty()) dirs.push_back(d);
  }
  const std::string shown = join(command, " ");
  bool found = false;
  if (program.find('/') != std::string::npos) {
    found = files.exists(program.front() == '/' ? program : joined(working_dir, program));
  } else {
    for (const auto& d : dirs) found = found || files.exists(joined(d, program));
  }
  if (!found) {
    auto similar = program.find('/') == std::string::npos ? similar_programs(files, dirs, program)
                                                          : std::vector<std::string>{};
    std::string hint =
        similar.empty()
            ? "use a base image that has it (image.base, e.g. a python or framework image), or "
              "install it with system_packages"
            : fmt::format("the image has {}: use it in train.command, or a base image with {}",
                          join(similar, ", "), program);
    return EntryCommandProblem{
        fmt::format("the image's command '{}' cannot start: '{}' is not {} in the image (PATH "
                    "{}, base and deps layers)",
                    shown, program,
                    program.find('/') == std::string::npos ? "on the PATH" : "a file", path_value),
        hint};
  }
  for (size_t i = 1; i < command.size(); ++i) {
    const std::string& arg = command[i];
    if (arg == "-m" || arg == "-c") break;  // a module or inline code, not a file
    if (arg.empty() || arg.front() == '-') continue;
    if (!has_script_suffix(arg)) break;
    std::string rel = arg.front() == '/' ? without_slashes(arg) : joined(working_dir, arg);
    if (files.exists(rel)) break;
    return EntryCommandProblem{
        fmt::format("the image's command '{}' names {}, which is not in the image (/{}): the "
                    "code layer does not hold it",
                    shown, arg, rel),
        "check that it exists in the project and that context.exclude or .mlboxignore does not "
        "leave it out; or fix train.command in mlbox.yaml"};
  }
  return std::nullopt;
}

void remember_layer_paths(const std::string& digest,
                          const std::vector<std::pair<std::string, std::string>>& paths) {
  store_layer_paths(layer_paths_file(digest), paths);
}

ImageFiles image_files(const BuildResult& r) {
  image::OciLayout store(r.store, image::OciLayout::Mode::kReadOnly);
  ImageFiles files;
  for (const auto& layer : r.layers) {
    apply_layer(layer_paths(store.blob_path(layer.descriptor.digest), layer.descriptor.digest),
                files);
  }
  return files;
}

void require_entry_command(const BuildResult& r, const std::vector<std::string>& command) {
  if (command.empty()) return;
  image::OciLayout store(r.store, image::OciLayout::Mode::kReadOnly);
  image::ImageConfig config = image::parse_image_config(store.read_blob(r.config), r.config.digest);
  auto problem =
      check_entry_command(image_files(r), command, config.config.get_env("PATH").value_or(""),
                          config.config.working_dir);
  if (problem) {
    throw Error(ErrorKind::kConfig,
                problem->what + fmt::format(" (built as oci:{}:{}, not sent anywhere)",
                                            r.store.string(), r.tag),
                problem->hint);
  }
}

}  // namespace mlbox::builder
