#include "catalog/machine_quota.h"

#include <cctype>

#include <fmt/format.h>

#include "util/strings.h"

namespace mlbox::catalog {

namespace {

// "g4dn.xlarge" -> "g4dn" -> letters "g"; "vt1.3xlarge" -> "vt"; "p5.48xlarge" -> "p".
std::string family_letters(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    out += c;
  }
  return out;
}

}  // namespace

const std::vector<AwsQuotaCode>& aws_quota_codes() {
  static const std::vector<AwsQuotaCode> codes = {
      {"L-DB2E81BA", "Running On-Demand G and VT instances"},
      {"L-417A185B", "Running On-Demand P instances"},
      {"L-3819A6DF", "All G and VT Spot Instance Requests"},
      {"L-7212CCBC", "All P4, P3 and P2 Spot Instance Requests"},
      {"L-C4BD4855", "All P5 Spot Instance Requests"},
      {"L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"},
      {"L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"},
  };
  return codes;
}

std::optional<std::string> aws_quota_code(std::string_view instance_type, bool spot) {
  std::string name(instance_type);
  std::string fam = family_letters(name);
  if (fam == "g" || fam == "vt") return spot ? "L-3819A6DF" : "L-DB2E81BA";
  if (fam == "p") {
    // P5, P5e and P5en spot instances have a quota of their own; on-demand, every P family
    // shares "Running On-Demand P instances".
    if (spot && starts_with(name, "p5")) return "L-C4BD4855";
    return spot ? "L-7212CCBC" : "L-417A185B";
  }
  if (fam.size() == 1 && std::string_view("acdhimrtz").find(fam[0]) != std::string_view::npos) {
    return spot ? "L-34B43A08" : "L-1216C47A";
  }
  return std::nullopt;
}

std::optional<QuotaNeed> quota_need(const Machine& m, bool spot, int count) {
  if (m.cloud == "aws") {
    auto code = aws_quota_code(m.name, spot);
    if (!code) return std::nullopt;
    for (const auto& c : aws_quota_codes()) {
      if (c.code == *code) {
        return QuotaNeed{c.code, c.name, "vCPU", static_cast<double>(m.vcpu) * count};
      }
    }
    return std::nullopt;
  }
  if (m.accelerator_type.empty() || m.gpu_count == 0) return std::nullopt;
  // NVIDIA_TESLA_T4 -> NVIDIA_T4_GPUS; NVIDIA_H100_80GB -> NVIDIA_H100_GPUS;
  // NVIDIA_A100_80GB stays (its own quota).
  std::string metric = m.accelerator_type;
  if (auto p = metric.find("TESLA_"); p != std::string::npos) metric.erase(p, 6);
  for (std::string_view suffix : {"_80GB", "_141GB"}) {
    if (starts_with(metric, "NVIDIA_H") && ends_with(metric, suffix)) {
      metric = metric.substr(0, metric.size() - suffix.size());
    }
  }
  metric += "_GPUS";
  if (spot) metric = "PREEMPTIBLE_" + metric;
  return QuotaNeed{metric, metric, "GPU", static_cast<double>(m.gpu_count) * count};
}

std::optional<QuotaNeed> vertex_quota_need(const Machine& m, bool spot, int count) {
  if (m.cloud != "gcp") return std::nullopt;
  auto compute = quota_need(m, false, count);  // NVIDIA_T4_GPUS
  if (!compute) return std::nullopt;
  std::string gpu = compute->code.substr(0, compute->code.size() - 5);  // NVIDIA_T4
  for (char& c : gpu) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string metric = fmt::format("aiplatform.googleapis.com/custom_model_training_{}{}_gpus",
                                   spot ? "preemptible_" : "", gpu);
  return QuotaNeed{metric, metric, "GPU", compute->amount};
}

std::optional<QuotaMatch> match_quota(const PriceCache& cache, const Machine& m,
                                      const std::string& region, bool spot, int count,
                                      const std::string& project) {
  auto need = quota_need(m, spot, count);
  if (!need) return std::nullopt;
  QuotaMatch out{*need, find_quota(cache, m.cloud, region, need->code, project)};
  if (auto v = vertex_quota_need(m, spot, count)) {
    const Quota* q = find_quota(cache, m.cloud, region, v->code, project);
    if (q || !out.quota) out = QuotaMatch{*v, q};
  }
  return out;
}

std::string aws_quota_console_url(const std::string& region, const std::string& code) {
  return fmt::format("https://{}.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/{}",
                     region, code);
}

std::string gcp_quota_console_url(const std::string& project, const std::string& metric) {
  return fmt::format("https://console.cloud.google.com/iam-admin/quotas?project={}&metric={}",
                     project.empty() ? "PROJECT" : project, metric);
}

const Quota* find_quota(const PriceCache& cache, const std::string& cloud,
                        const std::string& region, const std::string& code,
                        const std::string& project) {
  const CloudSnapshot* s = cache.cloud(cloud);
  if (!s) return nullptr;
  for (const auto& q : s->quotas) {
    if (q.region != region || q.code != code) continue;
    if (!project.empty() && !q.project.empty() && q.project != project) continue;
    return &q;
  }
  return nullptr;
}

}  // namespace mlbox::catalog
