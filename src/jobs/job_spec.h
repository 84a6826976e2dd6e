// What a job asks for, independent of where it runs. `mlbox submit` fills it from the
// manifest, the resolved settings and the flags; each backend turns it into its own request
// (Vertex CustomJob, AWS Batch job definition + SubmitJob, a local runc container).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlbox::jobs {

// A `data:` entry: a local path (uploaded by submit to the target's bucket under a
// content-addressed prefix) or a bucket URI (gs://, s3://) used as it is.
struct DataInput {
  std::string name;  // the key in mlbox.yaml; the trainer syncs it into MLBOX_DATA_DIR/<name>
  std::string uri;   // after staging: always a bucket URI for cloud backends
};

struct JobSpec {
  std::string name;                  // job display name (the manifest's name + a suffix)
  std::string image_ref;             // pushed reference, "registry/repo:tag"
  std::string image_digest;          // "sha256:..." ; backends run image_ref@image_digest
  std::vector<std::string> command;  // arguments after the image's ENTRYPOINT (empty = CMD)
  std::map<std::string, std::string> env;
  std::string region;
  std::string project;   // GCP project (Vertex); empty for AWS
  std::string machine;   // catalog machine type: "n1-standard-8", "g4dn.xlarge"
  std::string gpu_type;  // catalog GPU name: "T4", "A100-80GB"; empty = none
  int gpu_count = 0;     // per node
  bool spot = false;
  int nodes = 1;
  int64_t max_runtime_seconds = 0;  // 0 = the backend's default
  // Copies of the job that run at once, each told its index (a sweep's trials as an AWS Batch
  // array job); 0 = one job. Backends that cannot run arrays refuse it.
  int array_size = 0;
  std::string output_uri;  // "gs://bucket/prefix" / "s3://bucket/prefix" / local dir
  std::vector<DataInput> data;
  std::map<std::string, std::string> labels;
  std::string service_account;  // Vertex service account e-mail
  std::string job_queue;        // AWS Batch job queue
  std::string job_role_arn;     // AWS Batch job role
  // How the machine was chosen, for the CLI to show ("cheapest for T4:1, >= 16 GiB"); empty
  // when it was named. Not part of the JSON: a record keeps what was sent.
  std::string machine_choice;

  nlohmann::json to_json() const;
  static JobSpec from_json(const nlohmann::json& j);
};

}  // namespace mlbox::jobs
