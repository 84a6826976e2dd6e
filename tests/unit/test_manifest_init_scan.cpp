#include <doctest/doctest.h>

#include <algorithm>

#include "core/embedded.h"
#include "manifest/init_scan.h"
#include "manifest/load.h"
#include "util/fs.h"

using namespace mlbox;
using namespace mlbox::manifest;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  fs::write_file_atomic(p, text);
}

// The template from the source tree, so the test sees what the binary embeds.
std::string tmpl() {
  std::string text =
      fs::read_file(std::filesystem::path(MLBOX_SOURCE_DIR) / "templates" / "mlbox.yaml.tmpl");
  CHECK(text == load_template("mlbox.yaml.tmpl"));
  return text;
}

}  // namespace

TEST_CASE("requirements parsing keeps names and exact pins") {
  auto reqs = parse_requirements(
      "# comment\n"
      "torch==2.3.1+cu121\n"
      "Torch_Vision >= 0.18  # inline comment\n"
      "-r base.txt\n"
      "--extra-index-url https://example.com\n"
      "numpy[extra]==1.26.4 ; python_version > '3.8'\n"
      "pkg @ https://example.com/pkg.whl\n"
      "\n");
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].name == "torch");
  CHECK(reqs[0].pinned == "2.3.1");
  CHECK(reqs[1].name == "torch-vision");
  CHECK(reqs[1].pinned.empty());
  CHECK(reqs[1].spec == "Torch_Vision >= 0.18");
  CHECK(reqs[2].name == "numpy");
  CHECK(reqs[2].pinned == "1.26.4");
  CHECK(reqs[3].name == "pkg");
}

TEST_CASE("pyproject.toml and setup.py dependencies") {
  auto py = parse_pyproject(
      "[build-system]\nrequires = [\"setuptools\"]\n"
      "[project]\nname = \"My_Model\"\nrequires-python = \">=3.12\"\n"
      "dependencies = [\n  \"tensorflow==2.15.0\",\n  'pandas>=2',\n]\n"
      "[tool.other]\ndependencies = [\"ignored\"]\n");
  CHECK(py.name == "My_Model");
  CHECK(py.requires_python == ">=3.12");
  CHECK(py.dependencies == std::vector<std::string>{"tensorflow==2.15.0", "pandas>=2"});
  auto poetry = parse_pyproject(
      "[tool.poetry]\nname = \"p\"\n[tool.poetry.dependencies]\npython = \"^3.10\"\n"
      "torch = \"^2.1\"\n");
  CHECK(poetry.name == "p");
  CHECK(poetry.dependencies == std::vector<std::string>{"torch"});
  auto setup = parse_setup_py(
      "from setuptools import setup\nsetup(\n  name='trainer',\n"
      "  install_requires=['keras>=3', \"numpy\"],\n  python_requires='>=3.9')\n");
  CHECK(setup.name == "trainer");
  CHECK(setup.dependencies == std::vector<std::string>{"keras>=3", "numpy"});
  CHECK(setup.requires_python == ">=3.9");
}

TEST_CASE("framework imports, main guards and image names") {
  CHECK(imported_frameworks("import torch\nfrom torch import nn\n") ==
        std::vector<std::string>{"pytorch"});
  CHECK(imported_frameworks("  from tensorflow import keras\nimport keras\n") ==
        std::vector<std::string>{"tensorflow"});
  CHECK(
      imported_frameworks("import torchvision_like\n# import torch\nx = 'import torch'\n").empty());
  CHECK(imported_frameworks("import lightning as L\n") == std::vector<std::string>{"pytorch"});
  CHECK(has_main_guard("def f(): pass\nif __name__ == '__main__':\n    f()\n"));
  CHECK(has_main_guard("if __name__==\"__main__\":\n  main()\n"));
  CHECK_FALSE(has_main_guard("    if __name__ == '__main__':\n"));
  CHECK(image_name_for("My Project_2") == "my-project-2");
  CHECK(image_name_for("---") == "training");
}

TEST_CASE("scan of a PyTorch project with requirements.txt and train.py") {
  fs::TempDir dir;
  auto root = dir.path() / "Mnist CNN";
  write(root / "requirements.txt", "torch==2.3.1\ntorchvision==0.18.1\nnumpy\n");
  write(root / "train.py", "import torch\n\nif __name__ == '__main__':\n    pass\n");
  write(root / "model.py", "import torch.nn as nn\n");
  write(root / ".venv" / "lib" / "tf.py", "import tensorflow\nif __name__ == '__main__': pass\n");
  write(root / ".python-version", "3.10.13\n");
  ProjectScan scan = scan_project(root);
  CHECK(scan.name == "mnist-cnn");
  CHECK(scan.requirements_file == "requirements.txt");
  CHECK(scan.packages.empty());
  CHECK(scan.framework == "pytorch");
  CHECK(scan.framework_version == "2.3.1");
  CHECK(scan.entry == "train.py");
  CHECK(scan.entry_candidates == std::vector<std::string>{"train.py"});
  CHECK(scan.python_version == "3.10");

  std::string text = render_manifest(scan, tmpl());
  Manifest m = parse(text, "mlbox.yaml");
  CHECK(m.name == "mnist-cnn");
  CHECK(m.python.version == "3.10");
  CHECK(m.python.requirements == "requirements.txt");
  CHECK(m.framework.name == "pytorch");
  CHECK(m.framework.version == "2.3.1");
  CHECK(m.train.command == std::vector<std::string>{"python", "train.py"});
  CHECK(m.resources.nodes == 1);
}

TEST_CASE("scan of a Keras project from pyproject.toml with a main-guarded script") {
  fs::TempDir dir;
  auto root = dir.path() / "kproj";
  write(root / "pyproject.toml",
        "[project]\nname = \"keras-seed\"\nrequires-python = \">=3.12\"\n"
        "dependencies = [\"tensorflow==2.16.1\", \"pillow\"]\n");
  write(root / "src" / "util.py", "import numpy\n");
  write(root / "src" / "run.py",
        "from tensorflow import keras\nif __name__ == \"__main__\":\n  1\n");
  write(root / "scripts" / "train_cnn.py", "import keras\nif __name__ == \"__main__\":\n  1\n");
  ProjectScan scan = scan_project(root);
  CHECK(scan.name == "keras-seed");
  CHECK(scan.requirements_file.empty());
  CHECK(scan.packages == std::vector<std::string>{"tensorflow==2.16.1", "pillow"});
  CHECK(scan.framework == "tensorflow");
  CHECK(scan.framework_version == "2.16.1");
  CHECK(scan.python_version == "3.12");
  // a main-guarded script with "train" in its name comes first
  CHECK(scan.entry == "scripts/train_cnn.py");
  CHECK(scan.entry_candidates == std::vector<std::string>{"scripts/train_cnn.py", "src/run.py"});
  Manifest m = parse(render_manifest(scan, tmpl()), "mlbox.yaml");
  CHECK(m.python.packages == std::vector<std::string>{"tensorflow==2.16.1", "pillow"});
  CHECK(m.train.command == std::vector<std::string>{"python", "scripts/train_cnn.py"});
  CHECK(m.framework.name == "tensorflow");
}

TEST_CASE("scan of an empty folder and of imports without dependencies") {
  fs::TempDir dir;
  ProjectScan empty = scan_project(dir.path());
  CHECK(empty.framework == "none");
  CHECK(empty.entry.empty());
  CHECK(empty.python_version == "3.11");
  Manifest m = parse(render_manifest(empty, tmpl()), "mlbox.yaml");
  CHECK(m.framework.name == "none");
  CHECK(m.train.command == std::vector<std::string>{"python", "train.py"});
  CHECK(m.python.requirements.empty());
  CHECK(m.python.packages.empty());

  write(dir.path() / "requirements.txt", "numpy\n");
  write(dir.path() / "main.py", "import torch\n");
  ProjectScan imports = scan_project(dir.path());
  CHECK(imports.framework == "pytorch");
  CHECK(imports.framework_version.empty());
  CHECK(imports.entry == "main.py");
  bool warned = false;
  for (const auto& n : imports.notes)
    warned |= n.find("not listed in the dependencies") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("render_manifest rejects unknown placeholders") {
  ProjectScan scan;
  scan.name = "x";
  CHECK(render_manifest(scan, "name: {{name}}\n") == "name: x\n");
  CHECK_THROWS_WITH(render_manifest(scan, "name: {{nmae}}\n"),
                    doctest::Contains("unknown placeholder {{nmae}}"));
}

TEST_CASE("data folders are proposed as data: and kept out of the code layer") {
  fs::TempDir dir;
  auto root = dir.path() / "proj";
  write(root / "train.py", "import pandas\n");
  write(root / "data" / "train.csv", "a,b\n1,2\n");
  write(root / "data" / "val" / "part-0.parquet", "x");
  write(root / "src" / "model.py", "X = 1\n");   // code, not data
  write(root / "src" / "vocab.csv", "a\n");      // beside Python: part of the code
  write(root / "notes" / "readme.md", "hello");  // no data files
  ProjectScan scan = scan_project(root);
  CHECK(scan.data_dirs == std::vector<std::string>{"data"});
  Manifest m = parse(render_manifest(scan, tmpl()), "mlbox.yaml");
  CHECK(m.data.at("data") == "data");
  CHECK(std::find(m.context.exclude.begin(), m.context.exclude.end(), "data/") !=
        m.context.exclude.end());
  CHECK(is_data_file("Train.CSV"));
  CHECK(is_data_file("img_001.png"));
  CHECK_FALSE(is_data_file("model.py"));
  // Without data folders the data: section stays a comment.
  ProjectScan bare;
  bare.name = "bare";
  CHECK(parse(render_manifest(bare, tmpl()), "mlbox.yaml").data.empty());
}
