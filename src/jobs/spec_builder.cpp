#include "jobs/spec_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "catalog/live_prices.h"
#include "catalog/machine_catalog.h"
#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "util/error.h"
#include "util/host_names.h"
#include "util/strings.h"

namespace mlbox::jobs {

namespace {

// "resources.gpu (mlbox.yaml:12:3)" / "--region" : where a value came from, for messages.
std::string origin_of(const config::Settings* s, const std::string& key) {
  if (!s) return key;
  return key + " (" + s->at(key).origin + ")";
}

std::string get(const config::Settings& s, const char* key) {
  return s.get(key);
}

}  // namespace

std::string cloud_of_target(const std::string& target) {
  if (target == "batch") return "aws";
  if (target == "vertex") return "gcp";
  throw Error(ErrorKind::kUsage, "'" + target + "' is not a cloud target (vertex or batch)");
}

namespace {

// Everything wrong with a job, gathered so that one run reports it all: a user fixes the
// manifest once instead of discovering one missing setting per submit.
class Problems {
 public:
  void add(std::string what, std::string hint, ErrorKind kind = ErrorKind::kConfig) {
    items_.push_back({std::move(what), std::move(hint), kind});
  }
  void raise(const std::string& target) const {
    if (items_.empty()) return;
    // Config problems decide the exit code; credentials alone are an auth error (exit 4).
    ErrorKind kind = items_.front().kind;
    for (const auto& p : items_) {
      if (p.kind == ErrorKind::kConfig) kind = ErrorKind::kConfig;
    }
    if (items_.size() == 1) throw Error(kind, items_[0].what, items_[0].hint);
    std::string what =
        fmt::format("the {} job has {} problems; nothing was built, pushed or submitted:", target,
                    items_.size());
    for (const auto& p : items_) {
      what += "\n  - " + p.what;
      if (!p.hint.empty()) what += "\n      " + p.hint;
    }
    throw Error(kind, what, "fix them all, then submit again");
  }

 private:
  std::vector<JobProblem> items_;
};

// GPU counts Vertex AI accepts for a GPU type: the counts of the catalog's GCP rows for it
// (N1 machines take 1, 2 or 4 T4s, say; A2/G2/A3 types come with a fixed count).
std::vector<int> vertex_gpu_counts(const catalog::MachineCatalog& catalog, const std::string& gpu) {
  std::vector<int> counts;
  for (const auto& m : catalog.machines) {
    if (m.cloud == "gcp" && m.gpu == gpu &&
        std::find(counts.begin(), counts.end(), m.gpu_count) == counts.end()) {
      counts.push_back(m.gpu_count);
    }
  }
  std::sort(counts.begin(), counts.end());
  return counts;
}

void check_image(const JobSpec& spec, const std::string& target, const std::string& cloud,
                 Problems& problems) {
  if (spec.image_ref.empty()) {
    problems.add(
        "a " + target + " job needs a registry it can pull from: image.repository is unset",
        "set image.repository in mlbox.yaml (e.g. us-docker.pkg.dev/P/R/NAME or "
        "ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME), or MLBOX_IMAGE_REPOSITORY");
    return;
  }
  std::string why;
  auto ref = manifest::parse_registry_reference(spec.image_ref, &why);
  if (!ref) {
    problems.add("image reference '" + spec.image_ref + "' is not valid: " + why,
                 "set image.repository to REGISTRY/PATH");
    return;
  }
  if (!is_loopback_host(ref->registry)) return;
  const std::string& registry = ref->registry;
  const char* allow = std::getenv("MLBOX_ALLOW_LOCAL_REGISTRY");
  if (allow && std::string_view(allow) == "1") return;
  problems.add(fmt::format("image {} is in a registry on this machine ({}): {} cannot pull "
                           "from it",
                           spec.image_ref, registry, cloud == "aws" ? "AWS Batch" : "Vertex AI"),
               cloud == "aws" ? "set image.repository to an ECR repository "
                                "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME); "
                                "MLBOX_ALLOW_LOCAL_REGISTRY=1 allows it for tests and tunnels"
                              : "set image.repository to an Artifact Registry repository "
                                "(REGION-docker.pkg.dev/PROJECT/REPO/NAME); "
                                "MLBOX_ALLOW_LOCAL_REGISTRY=1 allows it for tests and tunnels");
}

}  // namespace

void validate_job_spec(const JobSpec& spec, const std::string& target,
                       const config::Settings* settings, const catalog::MachineCatalog& catalog,
                       const std::vector<JobProblem>& preflight) {
  const std::string cloud = cloud_of_target(target);
  Problems problems;
  for (const auto& p : preflight) problems.add(p.what, p.hint, p.kind);
  auto regions = catalog.regions(cloud);
  bool region_known = std::find(regions.begin(), regions.end(), spec.region) != regions.end();
  if (!region_known) {
    auto near = did_you_mean(spec.region, regions);
    problems.add(
        fmt::format("region '{}' from {} is not {} region mlbox knows{}", spec.region,
                    origin_of(settings, "region"), cloud == "aws" ? "an AWS" : "a Google Cloud",
                    near ? "; did you mean '" + *near + "'?" : ""),
        "known regions: " + join(regions, ", "));
  }
  if (!spec.gpu_type.empty() && region_known) {
    if (!catalog::gpu_offered_in_region(catalog, cloud, spec.gpu_type, spec.region)) {
      std::vector<std::string> where;
      for (const auto& r : regions) {
        if (catalog::gpu_offered_in_region(catalog, cloud, spec.gpu_type, r)) where.push_back(r);
      }
      problems.add(fmt::format("GPU {} from {} is not offered in {} ({})", spec.gpu_type,
                               origin_of(settings, "gpu"), spec.region, cloud),
                   where.empty() ? "see `mlbox machines --cloud " + cloud + "` for the GPUs offered"
                                 : "regions that offer it: " + join(where, ", "));
    }
  }
  if (!spec.gpu_type.empty() && cloud == "gcp") {
    auto counts = vertex_gpu_counts(catalog, spec.gpu_type);
    if (!counts.empty() &&
        std::find(counts.begin(), counts.end(), spec.gpu_count) == counts.end()) {
      std::vector<std::string> allowed;
      for (int c : counts) allowed.push_back(std::to_string(c));
      problems.add(fmt::format("{} x{} from {}: Vertex AI attaches {} GPUs in counts of {} only",
                               spec.gpu_type, spec.gpu_count, origin_of(settings, "gpu"),
                               spec.gpu_type, join(allowed, ", ")),
                   fmt::format("ask for one of those, e.g. --gpu {}:{}", spec.gpu_type,
                               counts.back() >= spec.gpu_count
                                   ? *std::lower_bound(counts.begin(), counts.end(), spec.gpu_count)
                                   : counts.back()));
    }
  }
  if (!spec.machine.empty()) {
    const auto& m = catalog::find_machine(catalog, spec.machine, spec.gpu_type, 0);
    if (m.cloud != cloud) {
      std::string from = origin_of(settings, "machine");
      std::string hint = "pick one with `mlbox machines --cloud " + cloud + "`";
      // From mlbox.yaml and not translated (make_job_spec translates resources.machine):
      // pinned for this target.
      if (settings && settings->at("machine").source == config::Source::kManifest) {
        from = "targets." + target + ".machine (" + settings->at("machine").origin + ")";
        hint = fmt::format(
            "targets.{0}.machine pins the machine for {0}: set it to a {1} type (`mlbox machines "
            "--cloud {2}`), or remove it so that resources (gpu, cpus, memory) choose one",
            target, cloud == "aws" ? "AWS" : "GCP", cloud);
      }
      problems.add(
          fmt::format("machine {} from {} is {} machine, not {}", spec.machine, from,
                      m.cloud == "aws" ? "an AWS" : "a GCP", cloud == "aws" ? "AWS" : "GCP"),
          hint);
    } else {
      if (!spec.gpu_type.empty() && m.gpu_count < spec.gpu_count) {
        problems.add(fmt::format("machine {} has {} x{}, fewer than the {} x{} asked by {}",
                                 spec.machine, m.gpu, m.gpu_count, spec.gpu_type, spec.gpu_count,
                                 origin_of(settings, "gpu")),
                     "drop --machine to let mlbox choose one, or see `mlbox machines --gpu " +
                         spec.gpu_type + "`");
      }
      if (region_known && !m.price_in(spec.region)) {
        problems.add(fmt::format("machine {} is not offered in {}", spec.machine, spec.region),
                     "see `mlbox machines --cloud " + cloud + " --gpu " + m.gpu + "`");
      }
    }
  }
  if (spec.nodes < 1) problems.add("nodes must be at least 1", "");
  const std::string scheme = cloud == "aws" ? "s3://" : "gs://";
  const std::string key = target == "batch" ? "targets.batch.output" : "targets.vertex.output";
  if (spec.output_uri.empty()) {
    problems.add(fmt::format("no output location for {}: the job's model and checkpoints need a "
                             "bucket",
                             target),
                 fmt::format("set {} in mlbox.yaml or pass --output {}BUCKET/PREFIX", key, scheme));
  } else if (spec.output_uri.rfind(scheme, 0) != 0) {
    problems.add(fmt::format("output '{}' from {} is not a {} URI", spec.output_uri,
                             origin_of(settings, "output"), scheme),
                 fmt::format("{} jobs write to {}BUCKET/PREFIX", target, scheme));
  }
  if (target == "vertex" && spec.project.empty()) {
    problems.add("no Google Cloud project for the Vertex AI job",
                 "set targets.vertex.project in mlbox.yaml, --project, or "
                 "`gcloud config set project P` (CLOUDSDK_CORE_PROJECT)");
  }
  if (target == "batch" && spec.job_queue.empty()) {
    problems.add("no AWS Batch job queue",
                 "set targets.batch.job_queue in mlbox.yaml or --job-queue");
  }
  for (const auto& d : spec.data) {
    if (d.uri.rfind("s3://", 0) == 0 || d.uri.rfind("gs://", 0) == 0) {
      if (d.uri.rfind(scheme, 0) != 0) {
        problems.add(
            fmt::format("data '{}' is at {}, which a {} job cannot read", d.name, d.uri, target),
            "copy it to a " + scheme + " bucket, or give a local path to upload");
      }
    }
  }
  check_image(spec, target, cloud, problems);
  problems.raise(target);
}

namespace {

// "T4 x1, >= 8 vCPU, >= 16 GiB", "a CPU-only machine with >= 4 vCPU".
std::string describe_request(const catalog::MachineRequest& r) {
  std::vector<std::string> parts;
  if (!r.gpu.empty()) parts.push_back(fmt::format("{} x{}", r.gpu, r.gpu_count));
  if (r.min_vcpu > 0) parts.push_back(fmt::format(">= {} vCPU", r.min_vcpu));
  if (r.min_memory_gib > 0) parts.push_back(fmt::format(">= {} GiB", r.min_memory_gib));
  std::string text = join(parts, ", ");
  return r.gpu.empty() ? "no GPU" + (text.empty() ? "" : ", " + text) : text;
}

// resources.machine of the other cloud (g4dn.xlarge on a Vertex job) stands for what it
// holds: its GPUs, vCPUs and memory, asked of this cloud (SkyPilot's portable resources).
// A machine pinned for this target (targets.<t>.machine) or given as a flag is not
// translated: validate_job_spec reports it, naming where to fix it. Returns a note for
// machine_choice, empty when nothing was translated.
std::string portable_machine(const SpecInputs& in, JobSpec& spec,
                             const catalog::MachineCatalog& catalog,
                             catalog::MachineRequest& request) {
  if (spec.machine.empty() || !in.manifest) return "";
  const config::Value& v = in.settings->at("machine");
  bool generic = v.source == config::Source::kManifest &&
                 !in.manifest->marks.count("targets." + in.target + ".machine");
  if (!generic) return "";
  const std::string cloud = cloud_of_target(in.target);
  auto rows = catalog.lookup(spec.machine);
  if (rows.empty()) return "";
  for (const catalog::Machine* m : rows) {
    if (m->cloud == cloud) return "";
  }
  const catalog::Machine& m =
      catalog::find_machine(catalog, spec.machine, spec.gpu_type, 0);  // its GPU row, if any
  if (request.gpu.empty() && m.gpu_count > 0) {
    request.gpu = spec.gpu_type = m.gpu;
    request.gpu_count = spec.gpu_count = m.gpu_count;
  }
  request.min_vcpu = std::max(request.min_vcpu, m.vcpu);
  request.min_memory_gib = std::max(request.min_memory_gib, m.memory_gib);
  std::string note = fmt::format(" (resources.machine {} at {} is {} type: its equivalent here)",
                                 m.name, v.origin, m.cloud == "aws" ? "an AWS" : "a GCP");
  spec.machine.clear();
  return note;
}

}  // namespace

JobSpec make_job_spec(const SpecInputs& in, const catalog::MachineCatalog& catalog) {
  if (!in.settings) throw Error(ErrorKind::kInternal, "make_job_spec without settings");
  const config::Settings& s = *in.settings;
  const std::string cloud = cloud_of_target(in.target);
  JobSpec spec;
  std::string base = in.manifest && !in.manifest->name.empty() ? in.manifest->name : "mlbox";
  spec.name = base + "-" + in.job_id.substr(in.job_id.rfind('-') + 1);
  spec.image_ref = in.image_ref;
  spec.image_digest = in.image_digest;
  spec.command = in.command;
  for (const auto& kv : in.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::kUsage, "--env '" + kv + "' is not KEY=value");
    }
    spec.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  spec.region = get(s, "region");
  spec.machine = get(s, "machine");
  if (auto g = manifest::parse_gpu_request(get(s, "gpu")); g && !g->type.empty()) {
    spec.gpu_type = g->type;
    spec.gpu_count = g->count;
  }
  spec.spot = s.get_bool("spot");
  spec.nodes = s.get_int("nodes");
  spec.max_runtime_seconds = s.get_int("max_runtime");
  spec.output_uri = get(s, "output");
  while (spec.output_uri.size() > 5 && spec.output_uri.back() == '/') spec.output_uri.pop_back();
  if (in.target == "vertex") {
    spec.project = get(s, "project");
    spec.service_account = get(s, "service_account");
  } else {
    spec.job_queue = get(s, "job_queue");
    spec.job_role_arn = get(s, "job_role_arn");
  }
  if (in.manifest) {
    for (const auto& [name, uri] : in.manifest->data) spec.data.push_back({name, uri});
  }
  spec.labels = {{"mlbox-job", in.job_id}, {"mlbox-project", base}};

  catalog::MachineRequest request{spec.gpu_type, spec.gpu_count, s.get_int("cpus"), 0};
  if (!get(s, "memory").empty()) request.min_memory_gib = std::stod(get(s, "memory"));
  std::string translated = portable_machine(in, spec, catalog, request);
  bool asks = !spec.gpu_type.empty() || request.min_vcpu > 0 || request.min_memory_gib > 0;
  if (spec.machine.empty() && asks) {
    // region and GPU first, for the clearer error
    validate_job_spec(spec, in.target, &s, catalog, in.preflight);
    auto offers = catalog::find_machines_for_request(catalog, cloud, spec.region, request);
    if (offers.empty()) {
      throw Error(
          ErrorKind::kConfig,
          fmt::format("no {} machine in {} has {}", cloud, spec.region, describe_request(request)),
          spec.gpu_type.empty()
              ? "ask for less, or see `mlbox machines --cpu --cloud " + cloud + "`"
              : "ask for less, or see `mlbox machines --gpu " + spec.gpu_type + "`");
    }
    spec.machine = offers.front().machine->name;
    spec.machine_choice = "the cheapest with " + describe_request(request) + translated;
  }
  validate_job_spec(spec, in.target, &s, catalog, in.preflight);
  // Each job writes under its own prefix: retries of one job share it (and resume from its
  // checkpoints), two jobs never mix their outputs.
  spec.output_uri += "/" + in.job_id;
  return spec;
}

std::optional<double> estimated_cost(const JobSpec& spec, const std::string& target, double hours) {
  if (spec.machine.empty()) return std::nullopt;
  // Today's prices where `mlbox machines --refresh` cached them, else the embedded table.
  const auto& catalog = catalog::machine_catalog();
  const std::string cloud = target == "aws-batch" || target == "batch" ? "aws" : "gcp";
  for (const catalog::Machine* m : catalog.lookup(spec.machine)) {
    if (m->cloud != cloud) continue;
    if (!spec.gpu_type.empty() && m->gpu_count < spec.gpu_count) continue;
    if (spec.gpu_type.empty() && m->gpu_count > 0) continue;  // n1-standard-8 alone: CPU-only
    if (const auto* p = m->price_in(spec.region)) {
      double rate = spec.spot && p->spot ? *p->spot : p->on_demand;
      return rate * hours * std::max(1, spec.nodes);
    }
  }
  return std::nullopt;
}

}  // namespace mlbox::jobs
