// The `credential_process` setting of an AWS profile: a command whose standard output is
// JSON {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}
// (the AWS SDKs' contract). The command line is split as a POSIX shell would split it
// (quotes, backslashes) and run without a shell.
#pragma once

#include <string>
#include <vector>

#include "cloud/aws/sigv4.h"
#include "util/process.h"

namespace mlbox::cloud::aws {

// Words of a command line; Error(kConfig) naming `where` for an unclosed quote.
std::vector<std::string> split_command_line(const std::string& command, const std::string& where);

// The credentials in a process's output; Error(kAuth) naming `where` for anything but a
// Version 1 document with both keys (the output itself is never quoted: it holds secrets).
AwsCredentials parse_credential_process_output(const std::string& out, const std::string& where);

// Runs the command; a non-zero exit, a timeout (60 s) or bad output is Error(kAuth) with the
// last lines of its standard error.
AwsCredentials run_credential_process(CommandRunner& runner, const std::string& command,
                                      const std::string& where);

}  // namespace mlbox::cloud::aws
