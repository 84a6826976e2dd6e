#include "registry/auth_challenge.h"

#include <cctype>

#include "util/strings.h"

namespace mlbox::registry {

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

namespace {

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/=").find(c) != std::string_view::npos;
}

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view h) {
  std::vector<AuthChallenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  while (i < h.size()) {
    skip_ws();
    while (i < h.size() && h[i] == ',') {
      ++i;
      skip_ws();
    }
    size_t start = i;
    while (i < h.size() && token_char(h[i]) && h[i] != '=') ++i;
    if (i == start) break;
    std::string word(h.substr(start, i - start));
    skip_ws();
    if (i < h.size() && h[i] == '=' && !out.empty()) {
      // name=value of the current challenge
      ++i;
      skip_ws();
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value.push_back(h[i++]);
        }
        if (i < h.size()) ++i;  // closing quote
      } else {
        size_t v = i;
        while (i < h.size() && h[i] != ',') ++i;
        value = std::string(trim(h.substr(v, i - v)));
      }
      out.back().params[to_lower(word)] = value;
      skip_ws();
      if (i < h.size() && h[i] == ',') ++i;
    } else {
      AuthChallenge c;
      c.scheme = to_lower(word);
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace mlbox::registry
