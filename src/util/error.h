// Error model: a classified error with a message and an optional hint ("what to do").
// Library code throws mlbox::Error on the fatal path; main() catches it once and maps
// ErrorKind to the process exit code. Callers that can recover use Result<T>.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mlbox {

// Values are the CLI's exit codes.
enum class ErrorKind : int {
  kInternal = 1,
  kUsage = 2,
  kConfig = 3,  // manifest / config / lock / build context invalid
  kAuth = 4,
  kNetwork = 5,
  kRemote = 6,  // remote rejected the request
  kJobFailed = 7,
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
  std::string hint_;
};

// A minimal expected<T, Error>: holds either a value or an Error.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  const T& value() const {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace mlbox
