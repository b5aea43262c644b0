// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/api/router.h"

#include <strings.h>

#include "appliance/api/api_error.h"
#include "common/log.h"
#include "store/env.h"

namespace ispbox::api {

std::optional<Role> parseRole(std::string_view name) {
  if (name == "readonly") return Role::ReadOnly;
  if (name == "operator") return Role::Operator;
  if (name == "admin") return Role::Admin;
  return std::nullopt;
}

std::string_view roleName(Role role) {
  switch (role) {
  case Role::ReadOnly:
    return "readonly";
  case Role::Operator:
    return "operator";
  case Role::Admin:
    return "admin";
  case Role::None:
    break;
  }
  return "none";
}

std::optional<std::string> ApiRequest::query(const std::string& name) const {
  if (!http.has_param(name.c_str())) return std::nullopt;
  return http.get_param_value(name.c_str());
}

void writeError(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field) {
  Json err = {{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  res.status = status;
  res.set_content(Json{{"error", err}}.dump(-1, ' ', false, Json::error_handler_t::replace),
                  "application/json");
}

void Router::add(std::string method, std::string pattern, Role min_role, Handler handler) {
  // "{name}" matches one non-empty path segment.
  static const std::regex kParam(R"(\{([a-z_]+)\})");
  Route r{std::move(method), std::move(pattern), min_role, std::move(handler), {}, {}};
  std::string re;
  auto begin = std::sregex_iterator(r.pattern.begin(), r.pattern.end(), kParam);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    re += std::regex_replace(r.pattern.substr(last, it->position() - last),
                             std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
    re += "([^/]+)";
    r.param_names.push_back((*it)[1]);
    last = it->position() + it->length();
  }
  re += r.pattern.substr(last);
  r.regex = std::regex("^" + re + "$");
  routes_.push_back(std::move(r));
}

void Router::dispatch(const httplib::Request& req, httplib::Response& res) const {
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  const Route* route = nullptr;
  std::smatch match;
  std::string allowed;
  for (const Route& r : routes_) {
    std::smatch m;
    if (!std::regex_match(req.path, m, r.regex)) continue;
    if (r.method == method) {
      route = &r;
      match = m;
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + r.method;
  }
  if (!route) {
    if (!allowed.empty()) {
      res.set_header("Allow", allowed);
      writeError(res, 405, "method_not_allowed",
                 req.method + " is not allowed on " + req.path + " (allowed: " + allowed + ")");
    } else {
      writeError(res, 404, "route_not_found", "no such endpoint: " + req.path);
    }
    return;
  }

  ApiRequest request{req, {}, {}};
  for (size_t i = 0; i < route->param_names.size(); ++i)
    request.params[route->param_names[i]] = match[i + 1];

  try {
    if (route->min_role != Role::None) {
      const std::string auth = req.get_header_value("Authorization");
      // The scheme is case-insensitive (RFC 7235 2.1).
      if (auth.size() <= 7 || strncasecmp(auth.c_str(), "Bearer ", 7) != 0) {
        res.set_header("WWW-Authenticate", "Bearer");
        writeError(res, 401, "unauthorized", "missing 'Authorization: Bearer <token>' header");
        return;
      }
      request.who = auth_ ? auth_(std::string_view(auth).substr(7)) : Principal{};
      if (request.who.role == Role::None) {
        res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        writeError(res, 401, "unauthorized", "unknown or revoked token");
        return;
      }
      if (request.who.role < route->min_role) {
        writeError(res, 403, "forbidden",
                   "this needs the " + std::string(roleName(route->min_role)) +
                       " role; the token has " + std::string(roleName(request.who.role)));
        return;
      }
    }
    ApiReply reply = route->handler(request);
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers)
      res.set_header(name, value);
    if (reply.stream) {
      res.set_chunked_content_provider(
          reply.content_type,
          [stream = std::move(reply.stream)](size_t, httplib::DataSink& sink) {
            if (!stream(sink)) sink.done();
            return true;
          },
          [done = std::move(reply.stream_done)](bool) {
            if (done) done();
          });
      return;
    }
    if (!reply.body.is_null())
      res.set_content(reply.body.dump(-1, ' ', false, Json::error_handler_t::replace),
                      reply.content_type);
    else if (!reply.raw.empty() || reply.status != 204)
      res.set_content(reply.raw, reply.content_type);
    if (after_write_ && req.method != "GET" && reply.status >= 200 && reply.status < 300)
      after_write_();
  } catch (const ApiError& e) {
    writeError(res, e.status(), e.code(), e.what(), e.field());
  } catch (const store::StoreError& e) {
    using C = store::StoreError::Code;
    switch (e.code()) {
    case C::Conflict:
      writeError(res, 409, "conflict", e.what());
      break;
    case C::NotFound:
      writeError(res, 404, "not_found", e.what());
      break;
    case C::MapFull:
      ISPBOX_LOG(Error, "API_STORE_FULL") << req.method << " " << req.path << ": " << e.what();
      writeError(res, 507, "store_full", e.what());
      break;
    default:
      ISPBOX_LOG(Error, "API_STORE_ERROR") << req.method << " " << req.path << ": " << e.what();
      writeError(res, 503, "store_unavailable", e.what());
    }
  } catch (const std::exception& e) {
    // A bug, not bad input: say so plainly and keep serving.
    ISPBOX_LOG(Error, "API_INTERNAL_ERROR") << req.method << " " << req.path << ": " << e.what();
    writeError(res, 500, "internal_error", "internal error; see the ispboxd log");
  }
}

} // namespace ispbox::api
