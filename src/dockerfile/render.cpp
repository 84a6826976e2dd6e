#include "dockerfile/render.h"

#include <nlohmann/json.hpp>

#include "core/embedded.h"
#include "util/error.h"

namespace mlbox::dockerfile {

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

std::string system_packages_block(const DockerfileInputs& in) {
  const std::string py = "python" + in.python_version;
  std::string install =
      "apt-get update && \\\n"
      "      DEBIAN_FRONTEND=noninteractive apt-get install -y "
      "--no-install-recommends \\\n        ";
  std::string out = "\n";
  if (!in.system_packages.empty()) {
    std::string pkgs;
    for (const auto& p : in.system_packages) pkgs += (pkgs.empty() ? "" : " ") + p;
    out += "# The manifest's system packages.\nRUN " + install + pkgs +
           " && \\\n      rm -rf /var/lib/apt/lists/*\n";
  }
  out += "# The image's Python, from the base's distribution when the base lacks it.\n";
  out += "RUN if ! command -v " + py + " >/dev/null 2>&1; then \\\n      " + install + py +
         " python3-pip && \\\n      rm -rf /var/lib/apt/lists/*; \\\n    fi\n";
  return out;
}

std::string deps_block(const DockerfileInputs& in) {
  if (!in.install_deps) return "# (mlbox.lock pins no packages)\n";
  const std::string py = "python" + in.python_version;
  // --target keeps the locked set apart from the distribution's packages (and is allowed
  // on PEP 668 "externally managed" bases); PYTHONPATH points there.
  std::string pip = py + " -m pip install --no-deps --require-hashes --only-binary=:all: \\\n" +
                    "      --target /opt/mlbox/site-packages";
  if (in.offline_wheels) {
    return "RUN --mount=type=bind,source=wheels,target=/tmp/mlbox-wheels \\\n    " + pip +
           " \\\n      --no-index --find-links /tmp/mlbox-wheels -r /opt/mlbox/mlbox.lock\n";
  }
  return "RUN " + pip + " \\\n      -r /opt/mlbox/mlbox.lock\n";
}

std::string labels_block(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return "";
  std::string out = "LABEL";
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += (first ? " " : " \\\n      ") + k + "=" + quoted(v);
    first = false;
  }
  return out + "\n";
}

// The compile stage of native mode. It starts from the deps stage, so it compiles against
// exactly the torch the image runs; the compiler and CMake stay in this stage.
std::string native_stage(const DockerfileInputs& in) {
  if (!in.native) return "";
  return R"(
# mlbox-native: native training compiled against the torch installed above (the lock's wheel);
# only the program reaches the final stage. A CUDA torch needs the CUDA toolkit here: use a
# -devel CUDA base for a native-mode project.
FROM mlbox-deps AS mlbox-native
COPY native-src/ /opt/mlbox/native-src/
RUN if ! command -v cmake >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then       apt-get update &&       DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends         cmake make g++ nlohmann-json3-dev libfmt-dev zlib1g-dev libssl-dev &&       rm -rf /var/lib/apt/lists/*;     fi &&     cmake -S /opt/mlbox/native-src/native -B /tmp/mlbox-native -DCMAKE_BUILD_TYPE=Release       -DTorch_DIR=/opt/mlbox/site-packages/torch/share/cmake/Torch       -DMLBOX_NATIVE_STATIC_DEPS=ON -DMLBOX_VERSION=)" +
         std::string(MLBOX_VERSION) +
         R"(       -DCMAKE_BUILD_RPATH=/opt/mlbox/site-packages/torch/lib &&     cmake --build /tmp/mlbox-native --parallel &&     install -D -m 0755 /tmp/mlbox-native/mlbox-native /opt/mlbox/native/bin/mlbox-native

FROM mlbox-deps
)";
}

}  // namespace

std::string exec_form(const std::vector<std::string>& argv) {
  std::string out = "[";
  for (size_t i = 0; i < argv.size(); ++i) out += (i ? ", " : "") + quoted(argv[i]);
  return out + "]";
}

std::string render_dockerfile(const DockerfileInputs& in) {
  if (in.base.empty()) throw Error(ErrorKind::kConfig, "no base image to build FROM");
  if (in.cmd.empty()) throw Error(ErrorKind::kConfig, "no training command for CMD");
  std::string text = load_template("Dockerfile.tmpl");
  replace_all(text, "{{MLBOX_VERSION}}", MLBOX_VERSION);
  replace_all(text, "{{BASE}}", in.base);
  replace_all(text, "{{PYTHON}}", "python" + in.python_version);
  replace_all(text, "{{SYSTEM_PACKAGES}}", system_packages_block(in));
  replace_all(text, "{{DEPS_RUN}}", deps_block(in));
  replace_all(text, "{{NATIVE_STAGE}}", native_stage(in));
  replace_all(text, "{{NATIVE_COPY}}",
              in.native ? "# mlbox-native from its compile stage.\n"
                          "COPY --from=mlbox-native /opt/mlbox/native/ /opt/mlbox/native/\n"
                        : "");
  replace_all(text, "{{TRAINER_DIR}}", "trainer");
  replace_all(text, "{{CODE_SOURCE}}", "code/");
  replace_all(text, "{{LABELS}}", labels_block(in.labels));
  replace_all(text, "{{CMD}}", exec_form(in.cmd));
  return text;
}

}  // namespace mlbox::dockerfile
