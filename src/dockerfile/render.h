// Renders the Dockerfile that mlbox builds (or hands to docker/buildah/podman) from
// templates/Dockerfile.tmpl. The build context it expects is a staged directory
// (see builder/staged_context.h): mlbox.lock, trainer/, code/, and optionally wheels/.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mlbox::dockerfile {

struct DockerfileInputs {
  std::string base;  // "ref" or "ref@sha256:..."
  std::string python_version = "3.11";
  std::vector<std::string> system_packages;
  bool install_deps = true;      // false when the lock pins nothing
  bool offline_wheels = false;   // a wheels/ dir is staged in the context
  std::vector<std::string> cmd;  // exec form
  // Native mode: a stage compiles mlbox-native (native-src/ in the context) against the torch
  // the deps step installed; the final stage copies only the program.
  bool native = false;
  std::map<std::string, std::string> labels;
};

std::string render_dockerfile(const DockerfileInputs& in);

// JSON array for exec-form instructions (CMD ["a", "b"]).
std::string exec_form(const std::vector<std::string>& argv);

}  // namespace mlbox::dockerfile
