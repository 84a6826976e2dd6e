// The keyword prefilter and the token-format rules (cloud keys, API tokens, webhooks, JWTs,
// URLs with passwords); the other rule families live in secret_key_rules.cpp and
// secret_assignment_rules.cpp.
#include "builder/secret_rules.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "builder/secret_rule_helpers.h"
#include "builder/secret_values.h"

namespace mlbox::builder::secret_rules {

namespace {

enum class Body : uint8_t { kAlnum, kWord, kToken, kHex, kB64, kSlack, kUpperAlnum, kDotted };

bool body_char(Body b, char c) {
  switch (b) {
    case Body::kAlnum:
      return is_alnum(c);
    case Body::kWord:
      return is_word(c);
    case Body::kToken:
      return is_token(c);
    case Body::kHex:
      return is_hex(c);
    case Body::kB64:
      return is_b64(c);
    case Body::kSlack:
      return is_alnum(c) || c == '-';
    case Body::kUpperAlnum:
      return is_upper_alnum(c);
    case Body::kDotted:
      return is_token(c) || c == '.';
  }
  return false;
}

// A token recognised by its vendor prefix and the shape of what follows.
struct TokenRule {
  std::string_view prefix;
  const char* kind;
  const char* what;
  Body body;
  size_t min_len;
};

// clang-format off
const TokenRule kTokenRules[] = {
    {"ghp_", "github-token", "GitHub personal access token", Body::kAlnum, 36},
    {"gho_", "github-token", "GitHub OAuth token", Body::kAlnum, 36},
    {"ghu_", "github-token", "GitHub user-to-server token", Body::kAlnum, 36},
    {"ghs_", "github-token", "GitHub server-to-server token", Body::kAlnum, 36},
    {"ghr_", "github-token", "GitHub refresh token", Body::kAlnum, 36},
    {"github_pat_", "github-token", "GitHub fine-grained token", Body::kWord, 60},
    {"glpat-", "gitlab-token", "GitLab personal access token", Body::kDotted, 20},
    {"gldt-", "gitlab-token", "GitLab deploy token", Body::kToken, 20},
    {"glrt-", "gitlab-token", "GitLab runner token", Body::kDotted, 20},
    {"glptt-", "gitlab-token", "GitLab pipeline trigger token", Body::kToken, 20},
    {"glft-", "gitlab-token", "GitLab feed token", Body::kToken, 20},
    {"gloas-", "gitlab-token", "GitLab OAuth application secret", Body::kToken, 20},
    {"glcbt-", "gitlab-token", "GitLab CI job token", Body::kToken, 20},
    {"GR1348941", "gitlab-token", "GitLab runner registration token", Body::kToken, 20},
    {"hf_", "huggingface-token", "Hugging Face access token", Body::kAlnum, 34},
    {"xoxb-", "slack-token", "Slack bot token", Body::kSlack, 20},
    {"xoxp-", "slack-token", "Slack user token", Body::kSlack, 20},
    {"xoxa-", "slack-token", "Slack app token", Body::kSlack, 20},
    {"xoxr-", "slack-token", "Slack refresh token", Body::kSlack, 20},
    {"xoxs-", "slack-token", "Slack session token", Body::kSlack, 20},
    {"xoxo-", "slack-token", "Slack token", Body::kSlack, 20},
    {"xoxe-", "slack-token", "Slack refresh token", Body::kSlack, 20},
    {"xoxe.xoxp-", "slack-token", "Slack rotating user token", Body::kSlack, 20},
    {"xapp-", "slack-token", "Slack app-level token", Body::kSlack, 20},
    {"AIza", "google-api-key", "Google API key", Body::kToken, 35},
    {"GOCSPX-", "google-oauth-secret", "Google OAuth client secret", Body::kToken, 24},
    {"ya29.", "google-oauth-token", "Google OAuth access token", Body::kToken, 30},
    {"sk-proj-", "openai-api-key", "OpenAI project key", Body::kToken, 40},
    {"sk-svcacct-", "openai-api-key", "OpenAI service-account key", Body::kToken, 40},
    {"sk-admin-", "openai-api-key", "OpenAI admin key", Body::kToken, 40},
    {"sk-ant-", "anthropic-api-key", "Anthropic API key", Body::kToken, 80},
    {"sk_live_", "stripe-key", "Stripe live secret key", Body::kAlnum, 20},
    {"rk_live_", "stripe-key", "Stripe live restricted key", Body::kAlnum, 20},
    {"whsec_", "stripe-key", "Stripe webhook signing secret", Body::kB64, 32},
    {"npm_", "npm-token", "npm access token", Body::kAlnum, 36},
    {"pypi-AgE", "pypi-token", "PyPI API token", Body::kToken, 50},
    {"dckr_pat_", "dockerhub-token", "Docker Hub access token", Body::kToken, 20},
    {"dop_v1_", "digitalocean-token", "DigitalOcean token", Body::kHex, 64},
    {"doo_v1_", "digitalocean-token", "DigitalOcean OAuth token", Body::kHex, 64},
    {"dor_v1_", "digitalocean-token", "DigitalOcean refresh token", Body::kHex, 64},
    {"shpat_", "shopify-token", "Shopify access token", Body::kHex, 32},
    {"shpca_", "shopify-token", "Shopify custom-app token", Body::kHex, 32},
    {"shppa_", "shopify-token", "Shopify private-app token", Body::kHex, 32},
    {"shpss_", "shopify-token", "Shopify shared secret", Body::kHex, 32},
    {"SG.", "sendgrid-api-key", "SendGrid API key", Body::kDotted, 60},
    {"dapi", "databricks-token", "Databricks token", Body::kHex, 32},
    {"ATATT3", "atlassian-token", "Atlassian API token", Body::kB64, 100},
    {"AGE-SECRET-KEY-1", "age-secret-key", "age secret key", Body::kUpperAlnum, 50},
    {"lin_api_", "linear-api-key", "Linear API key", Body::kAlnum, 40},
    {"PMAK-", "postman-api-key", "Postman API key", Body::kToken, 50},
    {"glc_", "grafana-token", "Grafana Cloud token", Body::kB64, 32},
    {"glsa_", "grafana-token", "Grafana service-account token", Body::kWord, 32},
    {"NRAK-", "newrelic-api-key", "New Relic API key", Body::kUpperAlnum, 27},
    {"pul-", "pulumi-token", "Pulumi access token", Body::kHex, 40},
    {"hvs.", "vault-token", "HashiCorp Vault token", Body::kToken, 90},
    {"hvb.", "vault-token", "HashiCorp Vault batch token", Body::kToken, 90},
    {"r8_", "replicate-token", "Replicate API token", Body::kAlnum, 37},
    {"gsk_", "groq-api-key", "Groq API key", Body::kAlnum, 50},
    {"pplx-", "perplexity-api-key", "Perplexity API key", Body::kAlnum, 48},
    {"xai-", "xai-api-key", "xAI API key", Body::kAlnum, 70},
    {"sbp_", "supabase-token", "Supabase access token", Body::kHex, 40},
    {"figd_", "figma-token", "Figma access token", Body::kToken, 40},
    {"sq0atp-", "square-token", "Square access token", Body::kToken, 22},
    {"sq0csp-", "square-token", "Square OAuth secret", Body::kToken, 40},
    {"dp.pt.", "doppler-token", "Doppler token", Body::kAlnum, 40},
    {"ntn_", "notion-token", "Notion integration token", Body::kAlnum, 40},
};
// clang-format on

enum class Handler : uint8_t {
  kToken,     // arg: index into kTokenRules
  kAwsKeyId,  // AKIA..., with a secret key next to it
  kOpenAiLegacy,
  kPem,
  kPutty,
  kBase64Pem,
  kKubernetes,
  kKeyword,  // a credential word: the key/value rule
  kUrl,
  kJwt,
  kBearer,
  kAzureKey,
  kAzureSas,
  kSlackWebhook,
  kDiscordWebhook,
  kTelegram,
};

struct Trigger {
  uint32_t folded;  // the first 4 bytes, each | 0x20
  std::string_view literal;
  bool icase;
  Handler handler;
  uint16_t arg;
};

uint32_t fold4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w | 0x20202020u;
}

constexpr unsigned kHashBits = 18;
uint32_t hash_of(uint32_t folded) {
  return (folded * 0x9E3779B1u) >> (32 - kHashBits);
}

class Triggers {
 public:
  Triggers() {
    for (size_t i = 0; i < std::size(kTokenRules); ++i) {
      const auto& r = kTokenRules[i];
      add(r.prefix, false, Handler::kToken, static_cast<uint16_t>(i), r.body);
    }
    for (std::string_view p : {"AKIA", "ASIA", "ABIA", "ACCA"}) add(p, false, Handler::kAwsKeyId);
    add("T3BlbkFJ", false, Handler::kOpenAiLegacy);
    add("BEGIN ", false, Handler::kPem);
    add("PuTTY-User-Key-File-", false, Handler::kPutty);
    add("LS0tLS1CRUdJTi", false, Handler::kBase64Pem);
    add("kind", false, Handler::kKubernetes);
    for (std::string_view k : {"pass", "secr", "toke", "cred"}) add(k, true, Handler::kKeyword);
    for (char sep : std::string_view("=:\"' \t_-")) add3("pwd", sep, Handler::kKeyword);
    for (char sep : std::string_view("=:\"' \t")) add3("key", sep, Handler::kKeyword);
    for (char c = 0x21; c < 0x7f; ++c) {
      if (is_alnum(c) || c == '%' || c == ':' || c == '_' || c == '-' || c == '.') {
        add3("://", c, Handler::kUrl);
      }
      if (is_b64url(c)) add3("eyJ", c, Handler::kJwt);
    }
    add("bearer", true, Handler::kBearer);
    add("AccountKey=", true, Handler::kAzureKey);
    add("SharedAccessKey=", true, Handler::kAzureKey);
    add("sig=", false, Handler::kAzureSas);
    add("hooks.slack.com/", false, Handler::kSlackWebhook);
    add("discord.com/api/webhooks/", false, Handler::kDiscordWebhook);
    add("discordapp.com/api/webhooks/", false, Handler::kDiscordWebhook);
    for (char c :
         std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")) {
      add3(":AA", c, Handler::kTelegram);
    }
    std::sort(list_.begin(), list_.end(),
              [](const Trigger& a, const Trigger& b) { return a.folded < b.folded; });
  }

  // The first position in [i, to) whose 4 bytes may start a keyword, or `to`. The hot loop
  // of the scan: one load, one multiply and one bit test per byte, all in registers.
  size_t next_candidate(const char* p, size_t i, size_t to) const {
    const uint64_t* bits = bits_.data();
    auto probe = [bits](const char* q) {
      uint32_t h = hash_of(fold4(q));
      return (bits[h >> 6] >> (h & 63)) & 1;
    };
    // Four positions per branch; the exact one is found again below.
    for (; i + 4 <= to; i += 4) {
      if (probe(p + i) | probe(p + i + 1) | probe(p + i + 2) | probe(p + i + 3)) [[unlikely]] {
        break;
      }
    }
    for (; i < to; ++i) {
      if (probe(p + i)) return i;
    }
    return to;
  }

  template <typename F>
  void each(uint32_t folded, F f) const {
    auto it = std::lower_bound(list_.begin(), list_.end(), folded,
                               [](const Trigger& t, uint32_t v) { return t.folded < v; });
    for (; it != list_.end() && it->folded == folded; ++it) f(*it);
  }

 private:
  void put(uint32_t folded, std::string_view literal, bool icase, Handler h, uint16_t arg) {
    list_.push_back({folded, literal, icase, h, arg});
    uint32_t x = hash_of(folded);
    bits_[x >> 6] |= uint64_t{1} << (x & 63);
  }
  void add(std::string_view literal, bool icase, Handler h, uint16_t arg = 0,
           Body body = Body::kAlnum) {
    if (literal.size() >= 4) {
      put(fold4(literal.data()), literal, icase, h, arg);
      return;
    }
    for (int c = 0x21; c < 0x7f; ++c) {
      if (body_char(body, static_cast<char>(c))) add3(literal, static_cast<char>(c), h, arg);
    }
  }
  void add3(std::string_view literal3, char fourth, Handler h, uint16_t arg = 0) {
    char b[4] = {literal3[0], literal3[1], literal3[2], fourth};
    uint32_t f = fold4(b);
    // Several fourth bytes fold together: one entry per folded value is enough.
    for (const auto& t : list_) {
      if (t.folded == f && t.literal == literal3 && t.handler == h && t.arg == arg) return;
    }
    put(f, literal3, h == Handler::kKeyword, h, arg);
  }

  std::vector<Trigger> list_;
  std::array<uint64_t, (size_t{1} << kHashBits) / 64> bits_{};
};

const Triggers& triggers() {
  static const Triggers t;
  return t;
}

bool literal_at(std::string_view d, size_t pos, std::string_view lit, bool icase) {
  if (pos + lit.size() > d.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k) {
    char a = d[pos + k], b = lit[k];
    if (icase) {
      if ((a >= 'A' && a <= 'Z')) a = static_cast<char>(a - 'A' + 'a');
      if ((b >= 'A' && b <= 'Z')) b = static_cast<char>(b - 'A' + 'a');
    }
    if (a != b) return false;
  }
  return true;
}

bool boundary_before(std::string_view d, size_t pos) {
  return pos == 0 || !is_word(d[pos - 1]);
}

void token(const Window& w, size_t pos, const TokenRule& r, std::vector<Hit>& hits) {
  if (!boundary_before(w.data, pos)) return;
  size_t s = pos + r.prefix.size();
  size_t n = run_length(w.data, s, 1024, [&](char c) { return body_char(r.body, c); });
  while (n > 0 && r.body == Body::kDotted && w.data[s + n - 1] == '.') --n;
  if (n < r.min_len) return;
  std::string_view body = w.data.substr(s, n);
  if (!secret_values::looks_generated(body)) return;
  add_hit(w, hits, kRankToken, r.kind, fmt::format("{} ({}...)", r.what, r.prefix), pos, pos, s + n,
          r.prefix.size());
}

// A 40-character AWS secret access key: base64 alphabet, bounded, mixed case.
bool aws_secret_near(std::string_view d, size_t from, size_t to) {
  size_t i = from;
  while (i < to) {
    if (!is_b64(d[i]) || d[i] == '=') {
      ++i;
      continue;
    }
    size_t j = i;
    bool lower = false, upper = false, digit = false, slash = false;
    while (j < d.size() && is_b64(d[j]) && d[j] != '=') {
      char c = d[j];
      lower |= c >= 'a' && c <= 'z';
      upper |= c >= 'A' && c <= 'Z';
      digit |= is_digit(c);
      slash |= c == '/' || c == '+';
      ++j;
    }
    std::string_view run = d.substr(i, j - i);
    if (run.size() == 40 && lower && upper && (digit || slash) &&
        run.find("EXAMPLE") == std::string_view::npos) {
      return true;
    }
    i = j;
  }
  return false;
}

void aws_key_id(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  if (!boundary_before(d, pos)) return;
  size_t n = run_length(d, pos + 4, 17, is_upper_alnum);
  if (n != 16 || (pos + 20 < d.size() && is_alnum(d[pos + 20]))) return;
  if (d.substr(pos, 20).find("EXAMPLE") != std::string_view::npos) return;
  size_t from = pos > 4096 ? pos - 4096 : 0;
  size_t to = std::min(d.size(), pos + 4096);
  if (!aws_secret_near(d, from, to)) return;
  add_hit(w, hits, kRankToken, "aws-access-key",
          fmt::format("AWS access key pair ({}**************** with a 40-character secret key)",
                      d.substr(pos, 4)),
          pos, pos, pos + 20, 4);
}

void openai_legacy(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t s = pos;
  while (s > 0 && pos - s < 64 && is_token(d[s - 1])) --s;
  if (!d.substr(s).starts_with("sk-") || pos - s < 10) return;
  size_t e = pos + 8 + run_length(d, pos + 8, 64, is_alnum);
  if (e - pos < 20) return;
  add_hit(w, hits, kRankToken, "openai-api-key", "OpenAI API key (sk-...)", s, s, e, 3);
}

void url_credentials(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (t.binary) return;
  std::string_view d = w.data;
  size_t s = pos;
  while (s > 0 && pos - s < 24 &&
         (is_alnum(d[s - 1]) || d[s - 1] == '+' || d[s - 1] == '.' || d[s - 1] == '-')) {
    --s;
  }
  if (pos - s < 2 || !is_alpha(d[s])) return;
  size_t u = pos + 3, at = u;
  while (at < d.size() && at - u < 256 && d[at] != '@') {
    char c = d[at];
    if (c <= ' ' || c == '/' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
        c == '?' || c == '#' || c == '`' || c == '{' || c == '}' || c == '[' || c == ']') {
      return;
    }
    ++at;
  }
  if (at >= d.size() || d[at] != '@' || at + 1 >= d.size() || !is_alnum(d[at + 1])) return;
  std::string_view userinfo = d.substr(u, at - u);
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view pw = userinfo.substr(colon + 1);
  if (pw.size() < 6 || secret_values::is_placeholder(pw) || secret_values::is_reference(pw)) {
    return;
  }
  bool config = t.text == TextClass::kConfig || t.text == TextClass::kDotenv;
  if (!config && (!secret_values::looks_random(pw) || secret_values::looks_made_up(pw))) return;
  if (t.text == TextClass::kTemplate) return;
  size_t pw_begin = u + colon + 1;
  add_hit(w, hits, kRankUrl, "url-credentials",
          fmt::format("{} URL with a password", d.substr(s, pos - s)), pos, pw_begin, at, 0);
}

void jwt(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (t.binary || t.text == TextClass::kProse || !boundary_before(w.data, pos)) return;
  std::string_view d = w.data;
  size_t a = run_length(d, pos, 4096, is_b64url);
  if (a < 10 || pos + a >= d.size() || d[pos + a] != '.') return;
  size_t b0 = pos + a + 1;
  size_t b = run_length(d, b0, 8192, is_b64url);
  if (b < 10 || !d.substr(b0).starts_with("eyJ") || b0 + b >= d.size() || d[b0 + b] != '.') {
    return;
  }
  size_t c = run_length(d, b0 + b + 1, 4096, is_b64url);
  if (c < 16) return;
  std::string header;
  if (!decode_base64(d.substr(pos, a), header) || header.find("\"alg\"") == std::string::npos) {
    return;
  }
  std::string payload;
  decode_base64(d.substr(b0, b), payload);
  if (payload.find("\"John Doe\"") != std::string::npos) return;  // the jwt.io example
  add_hit(w, hits, kRankGeneric, "jwt", "JSON Web Token (eyJ...)", pos, pos, b0 + b + 1 + c, 3);
}

void bearer(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (t.binary || !boundary_before(w.data, pos)) return;
  std::string_view d = w.data;
  size_t s = pos + 6;
  if (s >= d.size() || d[s] != ' ') return;
  while (s < d.size() && d[s] == ' ') ++s;
  size_t n = run_length(d, s, 4096, [](char c) {
    return is_b64url(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
  });
  std::string_view tok = d.substr(s, n);
  if (n < 20 || !secret_values::looks_random(tok) || secret_values::is_placeholder(tok)) return;
  add_hit(w, hits, kRankGeneric, "bearer-token", "Bearer token", pos, s, s + n, 0);
}

void azure_key(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t eq = d.find('=', pos);
  if (eq == std::string_view::npos || eq - pos > 16) return;
  size_t n = run_length(d, eq + 1, 256, is_b64);
  std::string_view key = d.substr(eq + 1, n);
  if (n < 40 || !secret_values::looks_random(key)) return;
  // The storage emulator's published key is not a secret.
  if (key.starts_with("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq")) return;
  add_hit(w, hits, kRankToken, "azure-storage-key",
          fmt::format("Azure {} in a connection string", d.substr(pos, eq - pos)), pos, eq + 1,
          eq + 1 + n, 0);
}

void azure_sas(const FileTraits& t, const Window& w, size_t pos, std::vector<Hit>& hits) {
  if (t.binary || pos == 0 || (w.data[pos - 1] != '&' && w.data[pos - 1] != '?')) return;
  std::string_view d = w.data;
  size_t ls = line_start(d, pos, 1024);
  std::string_view before = d.substr(ls, pos - ls);
  if (before.find("sv=") == std::string_view::npos) return;
  size_t n = run_length(d, pos + 4, 256, [](char c) { return is_b64(c) || c == '%'; });
  if (n < 30) return;
  add_hit(w, hits, kRankToken, "azure-sas-token", "Azure shared access signature (sig=)", pos,
          pos + 4, pos + 4 + n, 0);
}

void slack_webhook(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t s = pos + 16;  // "hooks.slack.com/"
  std::string_view rest = d.substr(s, 16);
  size_t path = 0;
  for (std::string_view p : {"services/", "workflows/", "triggers/"}) {
    if (rest.starts_with(p)) path = p.size();
  }
  if (path == 0) return;
  size_t n = run_length(d, s + path, 256, [](char c) { return is_alnum(c) || c == '/'; });
  std::string_view id = d.substr(s + path, n);
  if (n < 30 || std::count(id.begin(), id.end(), '/') < 1 || !secret_values::looks_random(id)) {
    return;
  }
  add_hit(w, hits, kRankToken, "slack-webhook", "Slack incoming webhook URL", pos, s + path,
          s + path + n, 0);
}

void discord_webhook(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t s = d.find("webhooks/", pos) + 9;
  size_t id = run_length(d, s, 32, is_digit);
  if (id < 10 || s + id >= d.size() || d[s + id] != '/') return;
  size_t n = run_length(d, s + id + 1, 256, is_token);
  if (n < 50) return;
  add_hit(w, hits, kRankToken, "discord-webhook", "Discord webhook URL", pos, s, s + id + 1 + n, 0);
}

void telegram(const Window& w, size_t pos, std::vector<Hit>& hits) {
  std::string_view d = w.data;
  size_t s = pos;
  while (s > 0 && pos - s < 11 && is_digit(d[s - 1])) --s;
  if (pos - s < 8 || pos - s > 10 || (s > 0 && is_word(d[s - 1]))) return;
  size_t n = run_length(d, pos + 1, 64, is_token);
  if (n != 35 || (pos + 1 + n < d.size() && is_token(d[pos + 1 + n]))) return;
  add_hit(w, hits, kRankToken, "telegram-bot-token", "Telegram bot token", s, s, pos + 1 + n, 0);
}

}  // namespace

FileTraits file_traits(std::string_view path, std::string_view head) {
  FileTraits t;
  auto slash = path.rfind('/');
  t.name = std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
  t.binary = head.substr(0, 8192).find('\0') != std::string_view::npos;
  std::string lname;
  for (char c : t.name) lname += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (lname.starts_with(".env.") || lname == ".env" || lname.ends_with(".env")) {
    t.text = TextClass::kDotenv;
    for (const char* tmpl :
         {".example", ".sample", ".template", ".dist", ".defaults", ".tmpl", ".tpl"}) {
      if (lname.ends_with(tmpl)) t.text = TextClass::kTemplate;
    }
    return t;
  }
  auto dot = lname.rfind('.');
  std::string ext = dot == std::string::npos || dot == 0 ? "" : lname.substr(dot + 1);
  static const char* kCode[] = {
      "py",   "pyi", "pyx",   "js",    "mjs", "cjs",    "ts",    "tsx", "jsx", "go",    "java",
      "kt",   "kts", "scala", "rb",    "php", "rs",     "c",     "cc",  "cpp", "cxx",   "h",
      "hh",   "hpp", "cs",    "swift", "m",   "mm",     "lua",   "pl",  "pm",  "r",     "jl",
      "dart", "ex",  "exs",   "erl",   "clj", "groovy", "ipynb", "cu",  "cuh", "proto", "sql"};
  static const char* kConfig[] = {
      "yaml",        "yml",    "json",       "jsonc",  "ini",    "cfg",  "conf",
      "cnf",         "toml",   "properties", "tfvars", "hcl",    "tf",   "sh",
      "bash",        "zsh",    "envrc",      "env",    "config", "xml",  "plist",
      "npmrc",       "pypirc", "netrc",      "pgpass", "gradle", "cred", "creds",
      "credentials", "secret", "secrets",    "txt",    "tfstate"};
  for (const char* doc : {"readme", "license", "licence", "changelog", "changes", "news", "authors",
                          "notice", "copying", "pkg-info", "metadata", "history"}) {
    if (lname.starts_with(doc)) return t;  // prose
  }
  if (ext.empty()) {
    t.text = TextClass::kConfig;
    return t;
  }
  for (const char* e : kCode) {
    if (ext == e) t.text = TextClass::kCode;
  }
  for (const char* e : kConfig) {
    if (ext == e) t.text = TextClass::kConfig;
  }
  return t;
}

void scan_window(const FileTraits& t, const Window& w, std::vector<Hit>& hits) {
  const Triggers& tr = triggers();
  const char* p = w.data.data();
  size_t skip_until = 0;  // the end of the last key looked at by the key/value rule
  const size_t to = std::min(w.to, w.data.size());
  for (size_t i = tr.next_candidate(p, w.from, to); i < to; i = tr.next_candidate(p, i + 1, to)) {
    uint32_t folded = fold4(p + i);
    if (hits.size() >= kMaxHitsPerFile) return;
    tr.each(folded, [&](const Trigger& trig) {
      if (!literal_at(w.data, i, trig.literal, trig.icase)) return;
      switch (trig.handler) {
        case Handler::kToken:
          token(w, i, kTokenRules[trig.arg], hits);
          break;
        case Handler::kAwsKeyId:
          aws_key_id(w, i, hits);
          break;
        case Handler::kOpenAiLegacy:
          openai_legacy(w, i, hits);
          break;
        case Handler::kPem:
          pem_private_key(w, i, hits);
          break;
        case Handler::kPutty:
          putty_private_key(w, i, hits);
          break;
        case Handler::kBase64Pem:
          base64_pem(w, i, hits);
          break;
        case Handler::kKubernetes:
          kubernetes_secret(t, w, i, hits);
          break;
        case Handler::kKeyword:
          if (i >= skip_until) skip_until = assignment(t, w, i, hits);
          break;
        case Handler::kUrl:
          url_credentials(t, w, i, hits);
          break;
        case Handler::kJwt:
          jwt(t, w, i, hits);
          break;
        case Handler::kBearer:
          bearer(t, w, i, hits);
          break;
        case Handler::kAzureKey:
          azure_key(w, i, hits);
          break;
        case Handler::kAzureSas:
          azure_sas(t, w, i, hits);
          break;
        case Handler::kSlackWebhook:
          slack_webhook(w, i, hits);
          break;
        case Handler::kDiscordWebhook:
          discord_webhook(w, i, hits);
          break;
        case Handler::kTelegram:
          telegram(w, i, hits);
          break;
      }
    });
  }
}

std::vector<Hit> scan_buffer(const FileTraits& traits, std::string_view content) {
  std::string padded(content);
  padded.append(8, '\0');
  Window w{std::string_view(padded.data(), content.size()), 0, content.size(), 0};
  std::vector<Hit> hits;
  scan_window(traits, w, hits);
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.rank < b.rank; });
  return hits;
}

const std::vector<std::string>& content_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> k = {
        "private-key",         "openssh-private-key", "pgp-private-key", "putty-private-key",
        "kubernetes-secret",   "aws-credentials",     "aws-access-key",  "dotenv-secret",
        "password-assignment", "secret-assignment",   "url-credentials", "jwt",
        "bearer-token",        "azure-storage-key",   "azure-sas-token", "slack-webhook",
        "discord-webhook",     "telegram-bot-token",  "openai-api-key"};
    for (const auto& r : kTokenRules) {
      if (std::find(k.begin(), k.end(), r.kind) == k.end()) k.emplace_back(r.kind);
    }
    return k;
  }();
  return kinds;
}

}  // namespace mlbox::builder::secret_rules
