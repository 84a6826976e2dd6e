#include "net_curl/curl_handle.h"

#include <mutex>

#include "util/error.h"

namespace mlbox::net {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Error(ErrorKind::kInternal, "libcurl failed to initialise (curl_global_init)");
    }
  });
}

CurlEasy make_easy() {
  ensure_curl_initialised();
  CurlEasy handle(curl_easy_init());
  if (!handle) throw Error(ErrorKind::kInternal, "libcurl: curl_easy_init failed");
  return handle;
}

CurlMulti make_multi() {
  ensure_curl_initialised();
  CurlMulti handle(curl_multi_init());
  if (!handle) throw Error(ErrorKind::kInternal, "libcurl: curl_multi_init failed");
  return handle;
}

}  // namespace mlbox::net
