#include "jobs/job_spec.h"

namespace mlbox::jobs {

nlohmann::json JobSpec::to_json() const {
  nlohmann::json data_json = nlohmann::json::array();
  for (const auto& d : data) data_json.push_back({{"name", d.name}, {"uri", d.uri}});
  nlohmann::json j = {{"name", name},
                      {"image_ref", image_ref},
                      {"image_digest", image_digest},
                      {"command", command},
                      {"env", env},
                      {"region", region},
                      {"project", project},
                      {"machine", machine},
                      {"gpu_type", gpu_type},
                      {"gpu_count", gpu_count},
                      {"spot", spot},
                      {"nodes", nodes},
                      {"max_runtime_seconds", max_runtime_seconds},
                      {"output_uri", output_uri},
                      {"data", data_json},
                      {"labels", labels},
                      {"service_account", service_account},
                      {"job_queue", job_queue},
                      {"job_role_arn", job_role_arn}};
  if (array_size > 0) j["array_size"] = array_size;  // only sweeps' array jobs say it
  return j;
}

JobSpec JobSpec::from_json(const nlohmann::json& j) {
  JobSpec s;
  s.name = j.value("name", "");
  s.image_ref = j.value("image_ref", "");
  s.image_digest = j.value("image_digest", "");
  s.command = j.value("command", std::vector<std::string>{});
  s.env = j.value("env", std::map<std::string, std::string>{});
  s.region = j.value("region", "");
  s.project = j.value("project", "");
  s.machine = j.value("machine", "");
  s.gpu_type = j.value("gpu_type", "");
  s.gpu_count = j.value("gpu_count", 0);
  s.spot = j.value("spot", false);
  s.nodes = j.value("nodes", 1);
  s.max_runtime_seconds = j.value("max_runtime_seconds", int64_t{0});
  s.array_size = j.value("array_size", 0);
  s.output_uri = j.value("output_uri", "");
  if (j.contains("data")) {
    for (const auto& d : j.at("data")) s.data.push_back({d.value("name", ""), d.value("uri", "")});
  }
  s.labels = j.value("labels", std::map<std::string, std::string>{});
  s.service_account = j.value("service_account", "");
  s.job_queue = j.value("job_queue", "");
  s.job_role_arn = j.value("job_role_arn", "");
  return s;
}

}  // namespace mlbox::jobs
