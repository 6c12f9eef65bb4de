#pragma once
// Errors carry context (what, where) and map to exit codes only in main():
//   cw::Error       runtime failure            -> exit 1
//   cw::UsageError  bad usage or bad config    -> exit 2
#include <stdexcept>
#include <string>

namespace cw {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace cw
