// Private keys (PEM of every label, OpenSSH, PGP, SSH2, PuTTY, base64-wrapped PEM) and
// Kubernetes Secret manifests.
#include <fmt/format.h>

#include "builder/secret_rule_helpers.h"
#include "builder/secret_values.h"

namespace mlbox::builder::secret_rules {

namespace {

// After a BEGIN line: is there a key body (not just the marker quoted in code or docs)?
// Skips header lines (Proc-Type:, DEK-Info:, Version:, Comment:), escaped newlines of JSON
// and string literals, quotes and indentation.
bool key_body_follows(std::string_view d, size_t i) {
  // A body line is an unbroken run of base64 (64 characters in PEM, 70 in PGP); prose such
  // as "key omitted for security reasons" is not.
  size_t run = 0, headers = 0;
  const size_t limit = std::min(d.size(), i + 4096);
  bool line_begin = true, started = false;
  while (i < limit) {
    char c = d[i];
    if (c == '\r' || c == '\n') {
      line_begin = true;
      run = 0;
      ++i;
    } else if (c == '\\' && i + 1 < limit && (d[i + 1] == 'n' || d[i + 1] == 'r')) {
      line_begin = true;
      run = 0;
      i += 2;
    } else if (!started && (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\')) {
      ++i;  // indentation, string quotes and continuations before the body
    } else if (line_begin && !started && headers < 10 && is_alpha(c)) {
      size_t n = run_length(d, i, 40, [](char x) { return is_alnum(x) || x == '-'; });
      if (i + n < limit && d[i + n] == ':') {
        // A header (Proc-Type:, DEK-Info:, Version:, Comment:): skip its line.
        ++headers;
        i = line_end(d, i, 1024);
        continue;
      }
      started = true;
      line_begin = false;
    } else if (is_b64(c)) {
      started = true;
      line_begin = false;
      if (++run >= 24) return true;
      ++i;
    } else {
      return false;
    }
  }
  return false;
}

struct Label {
  std::string_view text;
  size_t end;  // just past the closing dashes
};

// "-----BEGIN <LABEL>-----" or "---- BEGIN SSH2 ... ----" with `pos` at "BEGIN".
bool begin_marker(std::string_view d, size_t pos, Label& label) {
  bool five = pos >= 5 && d.substr(pos - 5, 5) == "-----";
  bool ssh2 = pos >= 5 && d.substr(pos - 5, 5) == "---- ";
  if (!five && !ssh2) return false;
  size_t s = pos + 6;  // "BEGIN "
  if (s > d.size() || d[pos + 5] != ' ') return false;
  size_t n = run_length(d, s, 64, [](char c) { return is_upper_alnum(c) || c == ' '; });
  std::string_view rest = d.substr(s + n);
  std::string_view text = d.substr(s, n);
  if (five && rest.starts_with("-----")) {
    label = {text, s + n + 5};
  } else if (ssh2 && !text.empty() && text.back() == ' ' && rest.starts_with("----")) {
    label = {text.substr(0, text.size() - 1), s + n + 4};
  } else {
    return false;
  }
  return label.text.ends_with("PRIVATE KEY") || label.text.ends_with("PRIVATE KEY BLOCK");
}

const char* kind_of(std::string_view label) {
  if (label == "OPENSSH PRIVATE KEY") return "openssh-private-key";
  if (label == "PGP PRIVATE KEY BLOCK") return "pgp-private-key";
  return "private-key";
}

std::string reason_of(std::string_view label) {
  if (label == "OPENSSH PRIVATE KEY") return "OpenSSH private key";
  if (label == "PGP PRIVATE KEY BLOCK") return "PGP private key block";
  return fmt::format("PEM private key ({})", label);
}

}  // namespace

bool pem_private_key(const Window& w, size_t pos, std::vector<Hit>& hits) {
  Label label;
  if (!begin_marker(w.data, pos, label) || !key_body_follows(w.data, label.end)) return false;
  size_t start = pos - 5;
  add_hit(w, hits, kRankPrivateKey, kind_of(label.text), reason_of(label.text), pos, start,
          label.end, label.end - start);
  return true;
}

void putty_private_key(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data.substr(pos, 8192);
  if (!d.starts_with("PuTTY-User-Key-File-")) return;
  size_t priv = d.find("\nPrivate-Lines:");
  if (priv == std::string_view::npos) return;
  add_hit(w, hits, kRankPrivateKey, "putty-private-key",
          "PuTTY private key file (PuTTY-User-Key-File with Private-Lines)", pos, pos, pos + 20,
          20);
}

void base64_pem(const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (pos > 0 && is_b64(w.data[pos - 1])) return;  // not at the start of the encoding
  size_t n = run_length(w.data, pos, 64 << 10, is_b64);
  std::string decoded;
  if (!decode_base64(w.data.substr(pos, n), decoded)) return;
  size_t begin = decoded.find("BEGIN");
  if (begin == std::string::npos) return;
  decoded.append(8, '\0');
  Window inner{decoded, begin, begin + 1, 0};
  std::vector<Hit> found;
  if (!pem_private_key(inner, begin, found)) return;
  add_hit(w, hits, kRankPrivateKey, found[0].kind, "base64-encoded " + found[0].reason, pos, pos,
          pos + n, 14);
}

namespace {

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

std::string_view unquote(std::string_view v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
    v.remove_suffix(1);
  }
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

bool is_secret_file_name(std::string_view name) {
  for (std::string_view ext : {".key", ".pem", ".p12", ".pfx", ".jks", ".dockerconfigjson",
                               ".dockercfg", "id_rsa", "id_ed25519", "id_ecdsa"}) {
    if (name.ends_with(ext)) return true;
  }
  return secret_values::classify_key(name) != secret_values::KeyClass::kNone;
}

}  // namespace

void kubernetes_secret(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (t.nested) return;
  std::string_view d = w.data;
  // "kind: Secret" at the start of a line, or of an item of a list (kind: List).
  for (size_t k = line_start(d, pos, 256); k < pos; ++k) {
    if (d[k] != ' ' && d[k] != '-') return;
  }
  size_t le = line_end(d, pos, 256);
  std::string_view line = d.substr(pos, le - pos);
  auto colon = line.find(':');
  if (colon == std::string_view::npos || line.substr(0, colon) != "kind") return;
  std::string_view value = unquote(line.substr(colon + 1));
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (unquote(value) != "Secret") return;
  // The YAML document around it: from the previous "---" line to the next one.
  size_t doc_begin = pos;
  while (doc_begin > 0) {
    size_t ls = line_start(d, doc_begin - 1, 4096);
    if (d.substr(ls).starts_with("---")) break;
    doc_begin = ls;
    if (pos - doc_begin > kLookbehind / 2) break;
  }
  size_t doc_end = pos;
  while (doc_end < d.size() && doc_end - pos < kLookahead / 2) {
    size_t e = line_end(d, doc_end, 64 << 10);
    if (doc_end > pos && d.substr(doc_end).starts_with("---")) break;
    doc_end = e < d.size() ? e + 1 : e;
  }
  // data: / stringData: blocks and their entries.
  size_t block_indent = 0;
  bool in_data = false, base64 = false;
  for (size_t ls = doc_begin; ls < doc_end;) {
    size_t e = line_end(d, ls, 64 << 10);
    std::string_view l = d.substr(ls, e - ls);
    size_t next = e < d.size() ? e + 1 : e;
    size_t ind = indent_of(l);
    std::string_view body = l.substr(ind);
    if (body.empty() || body.front() == '#') {
      ls = next;
      continue;
    }
    if (in_data && ind <= block_indent) in_data = false;
    if (!in_data) {
      std::string_view head = unquote(body);
      if (head == "data:" || head == "stringData:") {
        in_data = true;
        base64 = head == "data:";
        block_indent = ind;
      }
      ls = next;
      continue;
    }
    auto c = body.find(": ");
    if (c == std::string_view::npos) {
      ls = next;
      continue;
    }
    std::string_view name = unquote(body.substr(0, c));
    std::string_view raw = unquote(body.substr(c + 2));
    std::string decoded;
    if (base64 && !decode_base64(raw, decoded)) {
      ls = next;
      continue;
    }
    std::string_view v = base64 ? std::string_view(decoded) : raw;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    std::string what;
    FileTraits inner;
    inner.name = std::string(name);
    inner.text = TextClass::kConfig;
    inner.nested = true;
    auto found = scan_buffer(inner, v);
    if (!found.empty()) {
      what = found[0].reason;
    } else if (is_secret_file_name(name) && v.size() >= 4 && !secret_values::is_placeholder(v) &&
               !secret_values::is_reference(v)) {
      what = "a literal value";
    }
    if (!what.empty()) {
      size_t vpos = static_cast<size_t>(raw.data() - d.data());
      add_hit(w, hits, kRankKubernetes, "kubernetes-secret",
              fmt::format("Kubernetes Secret {}.{} holds {}", base64 ? "data" : "stringData", name,
                          what),
              vpos, vpos, vpos + raw.size(), 0);
      return;
    }
    ls = next;
  }
}

}  // namespace mlbox::builder::secret_rules
