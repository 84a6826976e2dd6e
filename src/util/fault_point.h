#pragma once
// Deterministic interruption points for tests.
//
// A test that must kill a build, push or pull half-way cannot rely on timing: on a fast or idle
// machine the work finishes before the kill. Instead the code under test announces its progress
// at named points, and a test build stops itself there:
//
//   MLBOX_TEST_PAUSE=<point>:<bytes>   once <point> has passed <bytes>, write this process's pid
//   MLBOX_TEST_PAUSE_FILE=<path>       to <path> (atomically) and stop every thread (SIGSTOP)
//
// The test waits for the file, then kills the process (kill -9 works on a stopped process) or
// resumes it (kill -CONT). Points and what their number counts:
//   blob-write       bytes written so far to one temp blob of an OCI layout (build, pull)
//   blob-upload      bytes of one blob a chunked upload has sent (push)
//   blobs-uploaded   blobs one push has finished uploading
//
// Active only when fault_point.cpp is compiled with MLBOX_TEST_HOOKS (CMake option
// MLBOX_TEST_HOOKS, on in builds that build the tests); elsewhere reached() returns at once.
#include <cstdint>
#include <string_view>

namespace mlbox::fault {

void reached(std::string_view point, uint64_t bytes);

}  // namespace mlbox::fault
