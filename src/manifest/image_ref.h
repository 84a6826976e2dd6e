// Image references as mlbox.yaml writes them: image.base (skopeo-style transports) and
// image.repository (a registry repository without tag or digest).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlbox::manifest {

// One registry reference split into its parts: "host:5000/ns/repo:tag@sha256:...".
struct RegistryReference {
  std::string registry;    // "docker.io" when the reference names none
  std::string repository;  // "nvidia/cuda"; Docker Hub single names get "library/"
  std::string tag;         // empty when only a digest (or nothing) was given
  std::string digest;      // "sha256:<64 hex>" or empty
  // "registry/repository[:tag][@digest]", with the default registry spelled out.
  std::string canonical() const;
};

// image.base: where the base image comes from, named like skopeo's transports.
struct ImageSource {
  enum class Transport { kRegistry, kOciLayout, kDockerArchive };
  Transport transport = Transport::kRegistry;
  RegistryReference ref;  // kRegistry
  std::string path;       // kOciLayout / kDockerArchive: a directory or a tar file
  std::string oci_tag;    // kOciLayout: the ":TAG" after the path (may be empty)
};

// Parses "nvidia/cuda:12.1.1-runtime-ubuntu22.04", "docker://...", "oci:PATH[:TAG]",
// "docker-archive:PATH". On failure returns nullopt and sets *why to what was wrong.
std::optional<ImageSource> parse_image_source(std::string_view text, std::string* why);

// A registry reference ("[host[:port]/]path[:tag][@digest]").
std::optional<RegistryReference> parse_registry_reference(std::string_view text, std::string* why);

// A repository to push to: "[host[:port]/]path", lowercase, no tag, no digest.
bool valid_repository(std::string_view text, std::string* why);

// One OCI repository path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
bool valid_path_component(std::string_view component);

}  // namespace mlbox::manifest
