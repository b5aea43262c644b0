// SPDX-License-Identifier: GPL-2.0-or-later
// The admin API's route table. Routes are declared once, with the role they need; the same table
// dispatches requests, answers 404/405 for unknown paths and methods, and is what the OpenAPI test
// compares the published document against.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

#include "appliance/api/json_fields.h"

namespace ispbox::api {

// Ordered: a role may do everything the roles before it may.
enum class Role { None, ReadOnly, Operator, Admin };
std::optional<Role> parseRole(std::string_view name);
std::string_view roleName(Role role);

struct Principal {
  std::string token_id;
  std::string name;
  Role role = Role::None;
  std::string tenant; // reserved: reseller scoping
};

struct ApiRequest {
  const httplib::Request& http;
  std::map<std::string, std::string> params; // from {name} segments in the route
  Principal who;

  const std::string& param(const std::string& name) const { return params.at(name); }
  std::optional<std::string> query(const std::string& name) const;
  Json body() const { return parseBody(http.body); }
};

struct ApiReply {
  ApiReply() = default;
  ApiReply(int s, Json b) : status(s), body(std::move(b)) {}
  int status = 200;
  Json body;
  std::string content_type = "application/json";
  std::string raw; // sent as-is when body is null (CSV, documents)
  std::vector<std::pair<std::string, std::string>> headers; // extra ones (Content-Disposition)
  // A streamed answer (Server-Sent Events): called again and again on the worker thread until it
  // returns false; stream_done runs once afterwards, also when the client went away.
  std::function<bool(httplib::DataSink&)> stream;
  std::function<void()> stream_done;
};

using Handler = std::function<ApiReply(const ApiRequest&)>;

struct Route {
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string pattern; // /api/v1/subscribers/{username}
  Role min_role;       // Role::None = no authentication
  Handler handler;
  std::regex regex;
  std::vector<std::string> param_names;
};

// Looks a bearer token up; returns Role::None when unknown.
using Authenticator = std::function<Principal(std::string_view token)>;

class Router {
public:
  void add(std::string method, std::string pattern, Role min_role, Handler handler);
  const std::vector<Route>& routes() const { return routes_; }
  void setAuthenticator(Authenticator auth) { auth_ = std::move(auth); }
  // Called after every successful write (a 2xx answer to anything but GET).
  void setAfterWrite(std::function<void()> hook) { after_write_ = std::move(hook); }
  // Handles one request completely: routing, authentication, errors as JSON.
  void dispatch(const httplib::Request& req, httplib::Response& res) const;

private:
  std::vector<Route> routes_;
  Authenticator auth_;
  std::function<void()> after_write_;
};

// Writes the standard error body.
void writeError(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = {});

} // namespace ispbox::api
