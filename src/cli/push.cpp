// mlbox push: the image in the project's OCI store -> a registry.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/push_image.h"
#include "cli/registry_credentials.h"
#include "cloud/aws/ecr_credentials.h"
#include "config/settings.h"
#include "core/locked_observer.h"
#include "image/oci_layout.h"
#include "manifest/image_ref.h"
#include "manifest/load.h"
#include "registry/blob_locations.h"
#include "registry/credentials.h"
#include "registry/image_pusher.h"
#include "util/error.h"

namespace mlbox::cli {

registry::PushSummary push_project_image(Context& ctx, const PushFlags& flags) {
  std::string text = flags.reference;
  if (text.empty()) {
    auto path = ctx.manifest_path();
    if (!std::filesystem::exists(path)) {
      throw Error(ErrorKind::kUsage,
                  "no REF given and no mlbox.yaml in " + ctx.project_dir().string(),
                  "name the destination: mlbox push HOST/REPO[:TAG]");
    }
    text = manifest::load(path).image.repository;
    if (text.empty()) {
      throw Error(ErrorKind::kUsage, fmt::format("{} sets no image.repository", path.string()),
                  "set image.repository in mlbox.yaml, or name it: mlbox push HOST/REPO[:TAG]");
    }
  }
  std::string why;
  auto ref = manifest::parse_registry_reference(text, &why);
  if (!ref) {
    throw Error(ErrorKind::kUsage, fmt::format("bad image reference '{}': {}", text, why),
                "write it as HOST[:PORT]/REPOSITORY[:TAG]");
  }
  if (!ref->digest.empty()) {
    throw Error(ErrorKind::kUsage, fmt::format("cannot push to a digest reference '{}'", text),
                "push to a tag: HOST/REPO:TAG");
  }
  image::OciLayout store(image::project_store_path(ctx.project_dir()));
  std::string tag = image::choose_image_tag(store, flags.tag, ref->tag);
  if (ref->tag.empty()) ref->tag = tag;
  auto top = store.resolve(tag);

  LockedObserver observer(ctx.observer());
  net::HttpClient http(transport_config(flags.registry), observer);
  http.set_trace_headers(ctx.options.verbose >= 2);
  auto ecr = std::make_shared<cloud::aws::EcrCredentials>(http, config::process_env());
  auto credentials = make_registry_credentials(http, observer);
  registry::RegistryClient client(http, ref->registry, credentials.get());
  client.ping();
  // ECR answers NAME_UNKNOWN to a push into a repository that does not exist: create it
  // first (unless --no-create), as `docker push` users expect from ECR tooling.
  bool is_ecr = cloud::aws::parse_ecr_host(ref->registry).has_value();
  if (is_ecr) ecr->ensure_repository(ref->registry, ref->repository, !flags.no_create, observer);
  registry::BlobLocations locations(registry::BlobLocations::default_file());
  registry::ImagePusher pusher(client, observer, &locations);
  registry::PushOptions options;
  options.jobs = flags.registry.jobs;
  if (flags.chunk_size >= 0) options.chunk_size = static_cast<uint64_t>(flags.chunk_size);
  observer.info(fmt::format("pushing {}:{} to {}", store.root().string(), tag, ref->canonical()));
  try {
    return pusher.push(store, *top, *ref, options);
  } catch (const Error& e) {
    // The repository vanished between the check and the upload (or the check raced).
    if (!is_ecr || flags.no_create ||
        std::string(e.what()).find("NAME_UNKNOWN") == std::string::npos) {
      throw;
    }
    ecr->ensure_repository(ref->registry, ref->repository, true, observer);
    return pusher.push(store, *top, *ref, options);
  }
}

void set_push_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("push", "Push the image to its registry");
  auto flags = std::make_shared<PushFlags>();
  cmd->add_option("REF", flags->reference,
                  "Where to push: HOST/REPO[:TAG] (default: image.repository from mlbox.yaml, "
                  "with the store's tag)");
  cmd->add_option("--tag", flags->tag, "Which tag of the project's store to push");
  cmd->add_option("--chunk-size", flags->chunk_size,
                  "Upload in chunks of BYTES (0: one request per blob; default: one request "
                  "below 32 MiB, else 16 MiB chunks)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-create", flags->no_create,
                "Fail instead of creating a missing repository (ECR: CreateRepository)");
  add_registry_flags(cmd, flags->registry);
  cmd->callback([&ctx, flags] {
    registry::PushSummary s = push_project_image(ctx, *flags);
    if (ctx.options.json) {
      ctx.print_json(s.to_json());
      return;
    }
    ctx.print(fmt::format(
        "pushed {}@{}\n  {} blobs: {} uploaded ({:.1f} MB sent), {} already there, {} mounted; "
        "{:.1f}s{}",
        s.reference, s.digest, s.blobs, s.blobs_uploaded,
        static_cast<double>(s.bytes_uploaded) / 1e6, s.blobs_skipped, s.blobs_mounted, s.seconds,
        s.docker_fallback ? " (as Docker schema2)" : ""));
  });
}

}  // namespace mlbox::cli
