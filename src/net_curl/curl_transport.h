// The libcurl transport: one curl_multi loop on its own thread runs every transfer of a
// process, with a bounded number of connections (libcurl queues the rest and reuses
// connections). Callers on any thread submit a Request and wait on the future; the loop never
// blocks on a caller.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "net/transport.h"

struct curl_slist;

namespace mlbox::net {

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportConfig config);
  ~CurlTransport() override;  // aborts what is still running
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::future<Outcome> submit(Request request) override;
  const TransportConfig& config() const override { return config_; }

  struct Transfer;  // one request in flight (defined in the .cpp)

 private:
  void run();
  // Attaches the transfer to the multi handle; returns it, or nullptr when it failed early
  // (its future is already set).
  Transfer* start(std::unique_ptr<Transfer> transfer);
  Transfer* finish(void* easy, int curl_code);

  TransportConfig config_;
  curl_slist* connect_to_ = nullptr;  // config_.connect_to as a curl list, for every handle
  void* multi_ = nullptr;             // CURLM*, owned
  std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mlbox::net
