// One request through net::HttpClient and whichever transport this binary links
// (mlbox_http_probe_curl: libcurl; mlbox_http_probe_socket: sockets + OpenSSL), printed as
// JSON. tests/integration/test_http_transports.sh runs the same cases through both and
// expects the same answers: the socket transport keeps the curl transport's contract.
//
//   mlbox_http_probe [--method M] [--header 'K: V']... [--data TEXT | --data-file F]
//                    [--ca-cert F] [--insecure HOST] [--follow] [--out FILE] [--max-body N]
//                    [--stall-timeout S] [--connect-timeout S] [--repeat N] URL
//   -> {"failure","error","status","headers":{...},"body","body_bytes","effective_url",
//       "refused_redirect","sent","received","connections"?}
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "util/error.h"

using namespace mlbox;
using nlohmann::json;

int main(int argc, char** argv) {
  try {
    net::TransportConfig config;
    net::Request request;
    std::string out;
    int repeat = 1;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw Error(ErrorKind::kUsage, a + " needs a value");
        return argv[++i];
      };
      if (a == "--method") {
        request.method = value();
      } else if (a == "--header") {
        std::string h = value();
        auto colon = h.find(':');
        request.headers.emplace_back(h.substr(0, colon),
                                     colon + 2 <= h.size() ? h.substr(colon + 2) : "");
      } else if (a == "--data") {
        request.body = value();
      } else if (a == "--data-file") {
        std::string path = value();
        request.body = net::FileRange{path, 0, std::filesystem::file_size(path)};
      } else if (a == "--ca-cert") {
        config.ca_file = value();
      } else if (a == "--insecure") {
        config.insecure_hosts.push_back(value());
      } else if (a == "--follow") {
        request.follow_redirects = true;
      } else if (a == "--out") {
        out = value();
      } else if (a == "--max-body") {
        request.max_body = std::stoul(value());
      } else if (a == "--stall-timeout") {
        config.stall_timeout = std::chrono::seconds(std::stoi(value()));
      } else if (a == "--connect-timeout") {
        config.connect_timeout = std::chrono::seconds(std::stoi(value()));
      } else if (a == "--repeat") {
        repeat = std::stoi(value());
      } else {
        request.url = a;
      }
    }
    if (config.ca_file.empty()) config.ca_file = net::TransportConfig::ca_file_from("");
    std::ofstream sink;
    uint64_t sunk = 0;
    if (!out.empty()) {
      request.on_body = [&](const char* data, size_t n) {
        if (!sink.is_open()) sink.open(out, std::ios::binary);
        sink.write(data, static_cast<std::streamsize>(n));
        sunk += n;
        return static_cast<bool>(sink);
      };
    }
    uint64_t sent = 0, received = 0;
    request.on_progress = [&](uint64_t s, uint64_t r) {
      sent = s;
      received = r;
    };
    NullObserver observer;
    net::HttpClient client(config, observer);
    net::Outcome o;
    for (int i = 0; i < repeat; ++i) o = client.send(request, net::RetryPolicy::none());
    json headers = json::object();
    for (const auto& [k, v] : o.response.headers) headers[k] = v;
    json result = {{"failure", net::failure_name(o.failure)},
                   {"error", o.error},
                   {"status", o.response.status},
                   {"headers", headers},
                   {"body", o.response.body},
                   {"body_bytes", out.empty() ? o.response.body.size() : sunk},
                   {"effective_url", o.response.effective_url},
                   {"refused_redirect", o.refused_redirect},
                   {"sent", sent},
                   {"received", received}};
    std::cout << result.dump() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cout << json{{"exception", e.what()}, {"exit", e.exit_code()}}.dump() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cout << json{{"exception", e.what()}}.dump() << "\n";
    return 1;
  }
}
