// RAII owners for libcurl handles. curl_global_init runs once, before the first handle.
#pragma once

#include <memory>

#include <curl/curl.h>

namespace mlbox::net {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlHeaderList = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Thread-safe, idempotent curl_global_init(CURL_GLOBAL_DEFAULT).
void ensure_curl_initialised();

CurlEasy make_easy();
CurlMulti make_multi();

}  // namespace mlbox::net
