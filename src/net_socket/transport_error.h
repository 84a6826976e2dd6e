// The socket transport's internal failure: what went wrong, classified the way
// net::TransportFailure names it. Thrown inside net_socket/ and turned into an Outcome at
// the transport's edge; never leaves it.
#pragma once

#include <stdexcept>
#include <string>

#include "net/http_types.h"

namespace mlbox::net {

class TransportError : public std::runtime_error {
 public:
  TransportError(TransportFailure failure, const std::string& what)
      : std::runtime_error(what), failure_(failure) {}
  TransportFailure failure() const { return failure_; }

 private:
  TransportFailure failure_;
};

}  // namespace mlbox::net
