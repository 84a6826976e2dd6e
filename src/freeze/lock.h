// mlbox.lock: a pip-compatible requirements file (`==` pins and `--hash=sha256:` for every
// distribution) whose comment header records what the environment was frozen for, so that
// `pip install --no-deps --require-hashes -r mlbox.lock` reproduces it and mlbox can tell
// when the lock is stale.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mlbox::freeze {

struct LockedPackage {
  std::string name;  // as pip reports it (metadata.name)
  std::string version;
  std::vector<std::string> sha256;  // hex digests of acceptable distribution files
  std::string source;               // where it was resolved from (URL, credentials removed)
};

struct LockHeader {
  std::string python;         // "3.11"
  std::string platform;       // "manylinux2014_x86_64"
  std::string framework;      // "pytorch 2.3.1", "tensorflow 2.15.0", "none"
  std::string cuda;           // "12.1" or empty (CPU)
  std::string cudnn;          // "8" or empty
  std::string torch_index;    // https://download.pytorch.org/whl/cu121 or empty
  std::string base_image;     // reference as written in the manifest / matrix
  std::string base_digest;    // sha256:... when pinned
  std::string inputs_digest;  // sha256 over the inputs the lock was resolved from
  std::string resolver;       // "pip 23.2.1" / "uv 0.4.0"
  // Where freeze found the wheels, so a build that misses its cache installs from the same
  // place without being told again. Part of the lock (and its digest) like every header line.
  std::vector<std::string> find_links;  // "# find-links: DIR", one line each
  bool no_index = false;                // "# no-index: true"
  std::string index_url;                // "# index-url: URL"
};

struct Lock {
  LockHeader header;
  std::vector<std::string> index_options;  // "--extra-index-url URL", "--find-links DIR", ...
  std::vector<LockedPackage> packages;     // sorted by normalised name

  std::string render() const;
  // The digest of the rendered lock ("sha256:..."), recorded in image labels.
  std::string digest() const;
};

// Parses a lock written by render(). Throws Error(kConfig) naming path:line on malformed
// input (a pin without a hash, a line that is not a pin, ...).
Lock parse_lock(const std::string& text, const std::string& name_for_errors);
Lock read_lock(const std::filesystem::path& path);

// PEP 503 normalised name: lower-case, runs of -_. become '-'.
std::string normalize_name(const std::string& name);

}  // namespace mlbox::freeze
