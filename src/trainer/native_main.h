// `mlbox-trainer native --config FILE.json`: argument parsing and the run around the native
// TorchScript trainer (platform layout, GPU check, exit codes).
#pragma once

namespace mlbox::trainer {

// argv[1] is "native".
int run_native_command(int argc, char** argv);

}  // namespace mlbox::trainer
