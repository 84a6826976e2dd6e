// train: the command to run, or the native trainer's settings.
#include "manifest/manifest_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "manifest/yaml_to_json.h"

namespace mlbox::manifest {

void ManifestReader::read_train(const Field& section) {
  static const std::vector<std::string> keys = {"command", "native"};
  if (!is_map(section, keys)) return;
  const Field* command = nullptr;
  const Field* native = nullptr;
  auto fs = fields(section.value, section.path, keys);
  for (const auto& f : fs) {
    if (f.key == "command") {
      command = &f;
      read_command(f);
    } else if (f.key == "native") {
      native = &f;
      if (!f.value.IsMap()) {
        add(f, "train.native is " + describe(f.value),
            "a map with the native trainer's settings (model, data, optimizer, ...)");
        continue;
      }
      m_.train.native = yaml_to_json(f.value);
    }
  }
  if (command && native) {
    const Field& later = command->key_mark.line > native->key_mark.line ? *command : *native;
    add(later.key_mark, "train.command and train.native are both set", "exactly one of them",
        "use 'command' to run your script, 'native' for the built-in "
        "TorchScript trainer");
  } else if (!command && !native) {
    add(section.key_mark, "train has neither 'command' nor 'native'",
        "train.command (e.g. \"python train.py\") or train.native (a native trainer config)");
  }
}

void ManifestReader::read_command(const Field& f) {
  const std::string expected = "a command line (\"python train.py --epochs 3\") or a list";
  std::vector<std::string> argv;
  if (f.value.IsScalar()) {
    std::string why;
    if (!split_command_line(f.value.Scalar(), argv, &why)) {
      add(f, "train.command cannot be split: " + why, expected);
      return;
    }
    static const std::vector<std::string> ops = {"|", "||", "&&", ";", ">", ">>", "<", "&"};
    for (const auto& arg : argv) {
      if (std::find(ops.begin(), ops.end(), arg) != ops.end()) {
        add(f, "train.command uses the shell operator '" + arg + "'",
            "a plain command (mlbox runs it without a shell)",
            "write it as command: [\"sh\", \"-c\", \"...\"] if you need a shell");
        return;
      }
    }
  } else if (f.value.IsSequence()) {
    size_t i = 0;
    for (const auto& item : f.value) {
      if (!item.IsScalar()) {
        add(to_mark(item.Mark()), fmt::format("train.command[{}] is {}", i, describe(item)),
            "a string argument");
        return;
      }
      argv.push_back(item.Scalar());
      ++i;
    }
  } else {
    add(f, "train.command is " + describe(f.value), expected);
    return;
  }
  if (argv.empty() || argv.front().empty()) {
    add(f, "train.command is empty", expected);
    return;
  }
  m_.train.command = std::move(argv);
}

}  // namespace mlbox::manifest
