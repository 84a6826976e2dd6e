// Test driver for cloud/aws (the Batch backend and the S3 client), used by
// tests/integration/test_batch_backend.sh until `mlbox submit/status/logs/cancel/fetch`
// dispatch to it. Reads a JobSpec / job record as JSON, prints one JSON value.
//
//   mlbox_aws_tool plan SPEC.json
//   mlbox_aws_tool submit SPEC.json                -> {"remote_id","details","definition",...}
//   mlbox_aws_tool refresh RECORD.json             -> {"state","attempts","message"}
//   mlbox_aws_tool logs RECORD.json [CURSOR]       -> {"lines":[...],"cursor"}
//   mlbox_aws_tool cancel RECORD.json
//   mlbox_aws_tool fetch RECORD.json DIR [--checkpoints]
//   mlbox_aws_tool s3-put BUCKET KEY FILE [THRESHOLD PART_SIZE] / s3-get BUCKET KEY DEST /
//                  s3-ls BUCKET PREFIX
#include <fstream>
#include <iostream>
#include <sstream>

#include "cloud/aws/batch_backend.h"
#include "cloud/aws/s3_client.h"
#include "util/error.h"

using namespace mlbox;
using nlohmann::json;

namespace {

class StderrObserver : public Observer {
 public:
  void on_event(const Event& e) override {
    if (const auto* l = std::get_if<LogEvent>(&e)) {
      if (l->level != LogLevel::kDebug || std::getenv("MLBOX_AWS_TOOL_DEBUG")) {
        std::cerr << l->message << "\n";
      }
    }
  }
};

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::kUsage, "cannot read " + path);
  return json::parse(in);
}

jobs::JobSpec spec_from(const json& j) {
  return jobs::JobSpec::from_json(j);
}

jobs::JobRecord record_from(const json& j) {
  jobs::JobRecord r;
  r.id = j.value("id", "aws-test");
  r.backend = "aws-batch";
  r.output_dir = j.value("output_dir", "");
  r.details = j.value("details", json::object());
  return r;
}

json attempts_json(const std::vector<jobs::Attempt>& attempts) {
  json out = json::array();
  for (const auto& a : attempts) {
    out.push_back({{"number", a.number},
                   {"started_at", a.started_at},
                   {"ended_at", a.ended_at},
                   {"exit_code", a.exit_code ? json(*a.exit_code) : json(nullptr)},
                   {"outcome", a.outcome}});
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc < 3) throw Error(ErrorKind::kUsage, "usage: see the top of mlbox_aws_tool.cpp");
  std::string cmd = argv[1];
  StderrObserver observer;
  if (cmd.rfind("s3-", 0) == 0) {
    net::HttpClient http(net::TransportConfig{}, observer);
    cloud::aws::AwsCredentialChain chain(http, config::process_env());
    cloud::aws::S3Options opt;
    if (cmd == "s3-put" && argc >= 7) {
      opt.multipart_threshold = std::stoull(argv[5]);
      opt.part_size = std::stoull(argv[6]);
    }
    auto s3 = cloud::aws::S3Client::from_chain(http, chain, chain.config().require_region(), opt);
    if (cmd == "s3-put") {
      s3.put_file(argv[2], argv[3], argv[4]);
      std::cout << json{{"parts", s3.last_parts()}}.dump() << "\n";
    } else if (cmd == "s3-get") {
      s3.get_file(argv[2], argv[3], argv[4]);
      std::cout << json{{"ok", true}}.dump() << "\n";
    } else if (cmd == "s3-ls") {
      json out = json::array();
      for (const auto& o : s3.list(argv[2], argc > 3 ? argv[3] : "")) {
        out.push_back({{"key", o.key}, {"size", o.size}});
      }
      std::cout << out.dump() << "\n";
    } else {
      throw Error(ErrorKind::kUsage, "unknown command " + cmd);
    }
    return 0;
  }
  cloud::aws::BatchBackend backend(config::process_env(), "", observer);
  json in = read_json(argv[2]);
  if (cmd == "plan") {
    std::cout << backend.plan_requests(spec_from(in)).dump(2) << "\n";
  } else if (cmd == "submit") {
    auto r = backend.submit(spec_from(in));
    std::cout << json{{"remote_id", r.remote_id},
                      {"console_url", r.console_url},
                      {"details", r.details},
                      {"definition", backend.last_definition()},
                      {"registered", backend.last_registered()}}
                     .dump()
              << "\n";
  } else if (cmd == "refresh") {
    auto s = backend.refresh(record_from(in));
    std::cout << json{{"state", jobs::to_string(s.state)},
                      {"attempts", attempts_json(s.attempts)},
                      {"message", s.message}}
                     .dump()
              << "\n";
  } else if (cmd == "logs") {
    std::vector<jobs::LogLine> lines;
    std::string cursor = backend.read_logs(record_from(in), argc > 3 ? argv[3] : "", lines);
    json out = json::array();
    for (const auto& l : lines) {
      out.push_back({{"attempt", l.attempt}, {"timestamp", l.timestamp}, {"text", l.text}});
    }
    std::cout << json{{"lines", out}, {"cursor", cursor}}.dump() << "\n";
  } else if (cmd == "cancel") {
    backend.cancel(record_from(in), {});
    std::cout << json{{"ok", true}}.dump() << "\n";
  } else if (cmd == "fetch") {
    if (argc < 4) throw Error(ErrorKind::kUsage, "fetch RECORD.json DIR");
    bool ckpt = argc > 4 && std::string(argv[4]) == "--checkpoints";
    json files = json::array();
    for (const auto& p : backend.fetch(record_from(in), argv[3], ckpt)) files.push_back(p.string());
    std::cout << files.dump() << "\n";
  } else {
    throw Error(ErrorKind::kUsage, "unknown command " + cmd);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Error& e) {
    std::cerr << "mlbox_aws_tool: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "  hint: " << e.hint() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "mlbox_aws_tool: error: " << e.what() << "\n";
    return 1;
  }
}
