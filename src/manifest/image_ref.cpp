#include "manifest/image_ref.h"

#include "util/strings.h"

namespace mlbox::manifest {

namespace {

// The grammar of github.com/distribution/reference (reference.go), without IPv6 hosts,
// written out by hand: std::regex recurses per character and overflows on long input.

// References longer than this are refused before any parsing (distribution caps a name at
// 255 characters; a tag adds 128, a digest 135).
constexpr size_t kMaxReferenceLength = 1024;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// One domain label: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_label(std::string_view label) {
  if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
  for (char c : label)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// label(.label)*(:[0-9]+)?
bool valid_domain(std::string_view domain) {
  if (size_t colon = domain.find(':'); colon != std::string_view::npos) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port)
      if (!is_digit(c)) return false;
    domain = domain.substr(0, colon);
  }
  for (size_t start = 0;;) {
    size_t dot = domain.find('.', start);
    if (!valid_label(domain.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
  for (char c : tag)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

// sha256:[a-f0-9]{64} | sha512:[a-f0-9]{128}
bool valid_digest(std::string_view digest) {
  size_t hex_length = 0;
  if (digest.starts_with("sha256:")) hex_length = 64;
  if (digest.starts_with("sha512:")) hex_length = 128;
  if (hex_length == 0 || digest.size() != 7 + hex_length) return false;
  for (char c : digest.substr(7))
    if (!is_digit(c) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

bool fail(std::string* why, std::string message) {
  if (why) *why = std::move(message);
  return false;
}

// Splits "host/a/b" into a domain (when the first component looks like one, as docker
// decides: it has a '.' or a ':', or is "localhost") and the repository path.
bool split_name(std::string_view name, std::string& domain, std::string& path, std::string* why) {
  domain.clear();
  size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      domain = std::string(first);
      name.remove_prefix(slash + 1);
      if (!valid_domain(domain))
        return fail(why, "'" + domain + "' is not a valid registry host[:port]");
    }
  }
  path = std::string(name);
  if (path.empty()) return fail(why, "the repository path is empty");
  for (const auto& component : split(path, '/')) {
    if (component.empty()) return fail(why, "the repository path has an empty component");
    if (!valid_path_component(component)) {
      if (to_lower(component) != component)
        return fail(why, "repository names must be lowercase ('" + component + "')");
      return fail(why, "'" + component +
                           "' is not a valid repository component (lowercase letters, digits, "
                           "and . _ __ - between them)");
    }
  }
  return true;
}

}  // namespace

bool valid_path_component(std::string_view component) {
  // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*: alphanumeric runs joined by one separator each.
  if (component.empty() || !is_lower_alnum(component.front()) || !is_lower_alnum(component.back()))
    return false;
  for (size_t i = 0; i < component.size();) {
    if (is_lower_alnum(component[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < component.size() && !is_lower_alnum(component[i])) ++i;
    std::string_view sep = component.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
  }
  return true;
}

std::string RegistryReference::canonical() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::optional<RegistryReference> parse_registry_reference(std::string_view text, std::string* why) {
  RegistryReference ref;
  if (text.empty()) {
    fail(why, "the reference is empty");
    return std::nullopt;
  }
  if (text.size() > kMaxReferenceLength) {
    fail(why, "the reference is " + std::to_string(text.size()) + " characters long (at most " +
                  std::to_string(kMaxReferenceLength) + ")");
    return std::nullopt;
  }
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!valid_digest(ref.digest)) {
      fail(why, "'" + ref.digest + "' is not a digest (sha256: and 64 lowercase hex digits)");
      return std::nullopt;
    }
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) {
      fail(why, "'" + ref.tag + "' is not a valid tag");
      return std::nullopt;
    }
  }
  std::string domain, path;
  if (!split_name(rest, domain, path, why)) return std::nullopt;
  ref.registry = domain.empty() ? "docker.io" : domain;
  ref.repository = path;
  if (ref.registry == "docker.io" && path.find('/') == std::string::npos)
    ref.repository = "library/" + path;
  return ref;
}

std::optional<ImageSource> parse_image_source(std::string_view text, std::string* why) {
  ImageSource src;
  if (text.starts_with("oci:")) {
    std::string_view rest = text.substr(4);
    // containers/image splits at the first ':' (a layout path cannot hold one).
    size_t colon = rest.find(':');
    src.transport = ImageSource::Transport::kOciLayout;
    src.path = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) src.oci_tag = std::string(rest.substr(colon + 1));
    if (src.path.empty()) {
      fail(why, "oci: needs a path to an OCI image layout directory");
      return std::nullopt;
    }
    if (colon != std::string_view::npos && !valid_tag(src.oci_tag)) {
      fail(why, "'" + src.oci_tag + "' is not a valid tag for oci:PATH:TAG");
      return std::nullopt;
    }
    return src;
  }
  if (text.starts_with("docker-archive:")) {
    src.transport = ImageSource::Transport::kDockerArchive;
    src.path = std::string(text.substr(15));
    if (src.path.empty()) {
      fail(why, "docker-archive: needs a path to a tar file");
      return std::nullopt;
    }
    return src;
  }
  std::string_view ref_text = text;
  if (ref_text.starts_with("docker://")) ref_text.remove_prefix(9);
  for (std::string_view unsupported :
       {"oci-archive:", "dir:", "containers-storage:", "docker-daemon:", "ostree:", "sif:"}) {
    if (text.starts_with(unsupported)) {
      fail(why, "the transport '" + std::string(unsupported) + "' is not supported");
      return std::nullopt;
    }
  }
  auto ref = parse_registry_reference(ref_text, why);
  if (!ref) return std::nullopt;
  src.ref = *ref;
  return src;
}

bool valid_repository(std::string_view text, std::string* why) {
  if (text.size() > kMaxReferenceLength)
    return fail(why, "the repository is " + std::to_string(text.size()) +
                         " characters long (at most " + std::to_string(kMaxReferenceLength) + ")");
  if (text.find('@') != std::string_view::npos)
    return fail(why, "a repository carries no digest (the tag/digest is chosen at push time)");
  size_t last_slash = text.rfind('/');
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash))
    return fail(why, "a repository carries no tag (the tag is chosen at push time)");
  std::string domain, path;
  return split_name(text, domain, path, why);
}

}  // namespace mlbox::manifest
