#include <doctest/doctest.h>

#include "util/redact.h"

TEST_CASE("redact_url drops user-info and signed query parameters") {
  using mlbox::redact_url;
  CHECK(redact_url("https://u:p@host.example/path?a=1") == "https://host.example/path?a=1");
  CHECK(redact_url("https://h/o?X-Amz-Signature=abc&x=1&X-Amz-Security-Token=t") ==
        "https://h/o?X-Amz-Signature=REDACTED&x=1&X-Amz-Security-Token=REDACTED");
  CHECK(redact_url("http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000/v2/");
  CHECK(redact_url("https://h/p?access_token=ya29#frag") ==
        "https://h/p?access_token=REDACTED#frag");
}

TEST_CASE("environment values whose names look secret are redacted") {
  using mlbox::is_secret_env_name;
  CHECK(is_secret_env_name("HF_TOKEN"));
  CHECK(is_secret_env_name("WANDB_API_KEY"));
  CHECK(is_secret_env_name("db_password"));
  CHECK(is_secret_env_name("AWS_SECRET_ACCESS_KEY"));
  CHECK(is_secret_env_name("GITHUBTOKEN"));
  CHECK(is_secret_env_name("GOOGLE_APPLICATION_CREDENTIALS"));
  CHECK_FALSE(is_secret_env_name("TOKENIZERS_PARALLELISM"));
  CHECK_FALSE(is_secret_env_name("LEARNING_RATE"));
  CHECK_FALSE(is_secret_env_name("KEY_FRAMES"));
  CHECK_FALSE(is_secret_env_name("PWD"));
  CHECK(mlbox::redact_env_value("HF_TOKEN", "hf_abc123") == "REDACTED");
  CHECK(mlbox::redact_env_value("DATA_URL", "https://u:p@h/x") == "https://h/x");
  CHECK(mlbox::redact_env_value("EPOCHS", "3") == "3");
}
