// SPDX-License-Identifier: GPL-2.0-or-later
// The one error type handlers throw. The router turns it into
// {"error": {"code": "...", "message": "...", "field": "..."}} with its HTTP status.
#pragma once

#include <stdexcept>
#include <string>

namespace ispbox::api {

class ApiError : public std::runtime_error {
public:
  ApiError(int status, std::string code, const std::string& message, std::string field = {})
      : std::runtime_error(message), status_(status), code_(std::move(code)),
        field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

  static ApiError badRequest(const std::string& code, const std::string& msg) {
    return {400, code, msg};
  }
  static ApiError invalid(const std::string& field, const std::string& msg,
                          const std::string& code = "invalid_value") {
    return {422, code, field + ": " + msg, field};
  }
  static ApiError notFound(const std::string& msg) { return {404, "not_found", msg}; }
  static ApiError conflict(const std::string& msg) { return {409, "conflict", msg}; }

private:
  int status_;
  std::string code_;
  std::string field_;
};

} // namespace ispbox::api
