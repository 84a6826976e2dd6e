#include <doctest/doctest.h>

#include "util/shell_completion.h"

using namespace mlbox::completion;

namespace {

Command sample() {
  Command push{"push",
               "Push the image: don't wait",
               {{{"--no-create"}, "Fail [instead]", false}, {{"--tag", "-t"}, "Tag", true}},
               {}};
  return Command{"tool", "A tool", {{{"--json"}, "JSON", false}, {{"-C"}, "Dir", true}}, {push}};
}

}  // namespace

TEST_CASE("completion scripts: every command and option, quoted for the shell") {
  auto bash = bash_script(sample());
  CHECK(bash.find("complete -F _tool tool") != std::string::npos);
  CHECK(bash.find("push) cmd=") != std::string::npos);
  CHECK(bash.find("takes_value+='--tag -t '") != std::string::npos);
  CHECK(bash.find("words='--no-create --tag -t --json -C'") != std::string::npos);

  auto zsh = zsh_script(sample());
  CHECK(zsh.rfind("#compdef tool\n", 0) == 0);
  // ':' separates name and description for _describe; ' is closed and reopened.
  CHECK(zsh.find("'push:Push the image  don'\\''t wait'") != std::string::npos);
  CHECK(zsh.find("'--no-create[Fail  instead ]'") != std::string::npos);
  CHECK(zsh.find("'--tag[Tag]:value:_files'") != std::string::npos);

  auto fish = fish_script(sample());
  CHECK(fish.find("complete -c tool -n '__fish_use_subcommand' -a push -d 'Push the image: "
                  "don'\\''t wait'") != std::string::npos);
  CHECK(fish.find("complete -c tool -n '__fish_seen_subcommand_from push' -l tag -s t -r -F "
                  "-d 'Tag'") != std::string::npos);
  CHECK(fish.find("complete -c tool -o C -r -F -d 'Dir'") == std::string::npos);
  CHECK(fish.find("complete -c tool -s C -r -F -d 'Dir'") != std::string::npos);
  CHECK(script(sample(), "tcsh").empty());
}
