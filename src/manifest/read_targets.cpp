// targets: where jobs run (vertex, batch, local) and their settings.
#include "manifest/manifest_reader.h"

#include "util/bounded_regex.h"

namespace mlbox::manifest {

void ManifestReader::read_targets(const Field& section) {
  static const std::vector<std::string> keys = {"vertex", "batch", "local"};
  if (!is_map(section, keys)) return;
  for (const auto& f : fields(section.value, section.path, keys)) {
    if (f.key == "vertex") read_vertex(f);
    if (f.key == "batch") read_batch(f);
    if (f.key == "local") read_local(f);
  }
}

void ManifestReader::read_vertex(const Field& section) {
  static const std::vector<std::string> keys = {"project", "region", "output", "service_account",
                                                "machine"};
  if (!is_map(section, keys)) return;
  VertexTarget t;
  for (const auto& f : fields(section.value, section.path, keys)) {
    auto s = string_of(f);
    if (!s) continue;
    if (f.key == "project") {
      if (!regex_match_bounded(
              *s, "[a-z][a-z0-9-]{4,28}[a-z0-9]|[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]"))
        add(f, "targets.vertex.project is " + quote_value(*s),
            "a Google Cloud project ID (6-30 lowercase letters, digits, '-')");
      else
        t.project = *s;
    } else if (f.key == "region") {
      if (!regex_match_bounded(*s, "[a-z]+-[a-z]+[0-9]+"))
        add(f, "targets.vertex.region is " + quote_value(*s),
            "a Google Cloud region like us-central1");
      else
        t.region = *s;
    } else if (f.key == "output") {
      if (!s->starts_with("gs://") || s->size() <= 5)
        add(f, "targets.vertex.output is " + quote_value(*s), "a gs://BUCKET[/PREFIX] URI");
      else
        t.output = *s;
    } else if (f.key == "machine") {
      if (auto m = machine_name_of(f, "n1-standard-8")) t.machine = *m;
    } else if (f.key == "service_account") {
      if (!regex_match_bounded(*s, "[^@\\s]+@[^@\\s]+"))
        add(f, "targets.vertex.service_account is " + quote_value(*s),
            "a service account email (NAME@PROJECT.iam.gserviceaccount.com)");
      else
        t.service_account = *s;
    }
  }
  m_.targets.vertex = t;
}

void ManifestReader::read_batch(const Field& section) {
  static const std::vector<std::string> keys = {"region", "job_queue", "job_role_arn", "output",
                                                "machine"};
  if (!is_map(section, keys)) return;
  BatchTarget t;
  for (const auto& f : fields(section.value, section.path, keys)) {
    auto s = string_of(f);
    if (!s) continue;
    if (f.key == "region") {
      if (!regex_match_bounded(*s, "[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+"))
        add(f, "targets.batch.region is " + quote_value(*s), "an AWS region like us-east-1");
      else
        t.region = *s;
    } else if (f.key == "machine") {
      if (auto m = machine_name_of(f, "g4dn.xlarge")) t.machine = *m;
    } else if (f.key == "job_queue") {
      t.job_queue = *s;
    } else if (f.key == "job_role_arn") {
      if (!regex_match_bounded(*s, "arn:aws[a-z-]*:iam::[0-9]{12}:role/.+"))
        add(f, "targets.batch.job_role_arn is " + quote_value(*s),
            "an IAM role ARN like arn:aws:iam::123456789012:role/NAME");
      else
        t.job_role_arn = *s;
    } else if (f.key == "output") {
      if (!s->starts_with("s3://") || s->size() <= 5)
        add(f, "targets.batch.output is " + quote_value(*s), "an s3://BUCKET[/PREFIX] URI");
      else
        t.output = *s;
    }
  }
  m_.targets.batch = t;
}

// A machine type's spelling; whether the cloud sells it is checked against the catalog when
// a job is built, naming this field's line and column.
std::optional<std::string> ManifestReader::machine_name_of(const Field& f, const char* example) {
  auto s = string_of(f);
  if (!s) return std::nullopt;
  if (!regex_match_bounded(*s, "[a-z0-9][a-z0-9.-]{1,62}")) {
    add(f, f.path + " is " + quote_value(*s),
        std::string("a machine type like ") + example + " (see `mlbox machines`)");
    return std::nullopt;
  }
  return s;
}

void ManifestReader::read_local(const Field& section) {
  static const std::vector<std::string> keys = {"output"};
  if (!is_map(section, keys)) return;
  LocalTarget t;
  for (const auto& f : fields(section.value, section.path, keys)) {
    if (auto s = string_of(f, "a local directory")) t.output = *s;
  }
  m_.targets.local = t;
}

}  // namespace mlbox::manifest
