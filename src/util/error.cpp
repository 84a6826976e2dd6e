#include "util/error.h"

namespace mlbox {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kRemote:
      return "remote";
    case ErrorKind::kJobFailed:
      return "job-failed";
  }
  return "internal";
}

}  // namespace mlbox
