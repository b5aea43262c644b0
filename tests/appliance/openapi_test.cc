// SPDX-License-Identifier: GPL-2.0-or-later
// The published OpenAPI document against the server that publishes it: same routes, same roles,
// every reference resolvable, every documented operation reachable over real HTTP, and the
// document served byte for byte as compiled in.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <httplib.h>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "appliance/api/openapi_document.h"
#include "appliance/api/router.h"
#include "appliance/api/server.h"
#include "store/entities.h"
#include "store/env.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox::api {
namespace {

using testutil::TempDir;
using MethodPath = std::pair<std::string, std::string>;

// The operation keys OpenAPI 3.0 allows in a path item; anything else there is not an operation.
const std::vector<std::string> kHttpMethods = {"get",     "put",  "post",  "delete",
                                               "options", "head", "patch", "trace"};

std::string upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A path as one JSON-pointer token (RFC 6901: "~" is "~0", "/" is "~1").
std::string pointerToken(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

Json parseDocument() {
  return Json::parse(openApiDocument(), nullptr, /*allow_exceptions=*/false);
}

// Every (METHOD, path) the document describes.
std::set<MethodPath> documentedOperations(const Json& doc) {
  std::set<MethodPath> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [key, _] : item.items()) {
      if (std::find(kHttpMethods.begin(), kHttpMethods.end(), key) != kHttpMethods.end())
        out.emplace(upper(key), path);
    }
  }
  return out;
}

std::string listOf(const std::set<MethodPath>& ops) {
  std::string s;
  for (const auto& [method, path] : ops)
    s += "\n  " + method + " " + path;
  return s;
}

// Collects every "$ref" value, with the JSON pointer of where it appears (for the message).
void collectRefs(const Json& node, const std::string& where,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string())
        out.emplace_back(where, value.get<std::string>());
      else
        collectRefs(value, where + "/" + pointerToken(key), out);
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i)
      collectRefs(node[i], where + "/" + std::to_string(i), out);
  }
}

// The server itself, on a free loopback port, over a private state directory. A fresh server per
// test keeps the HTTP probes from depending on what another test wrote.
class OpenApiServer : public ::testing::Test {
protected:
  void SetUp() override {
    store::EnvOptions eo;
    eo.dir = dir_.path() / "state";
    env_ = store::Env::open(eo);
    {
      auto txn = env_->write();
      store::pb::ApiToken t;
      t.set_name("doc-admin");
      t.set_role("admin");
      admin_ = store::createToken(txn, t).secret;
      txn.commit();
    }
    ServerOptions options;
    options.listen = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<ApiServer>(*env_, options, "test");
    server_->bind();
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  httplib::Result send(const std::string& method, const std::string& path, bool with_token) {
    httplib::Client client("127.0.0.1", server_->boundPort());
    client.set_read_timeout(10, 0);
    client.set_connection_timeout(5, 0);
    httplib::Headers headers;
    if (with_token) headers.emplace("Authorization", "Bearer " + admin_);
    const std::string body = "{}";
    const char* ct = "application/json";
    if (method == "GET") return client.Get(path.c_str(), headers);
    if (method == "DELETE") return client.Delete(path.c_str(), headers);
    if (method == "POST") return client.Post(path.c_str(), headers, body, ct);
    if (method == "PATCH") return client.Patch(path.c_str(), headers, body, ct);
    if (method == "PUT") return client.Put(path.c_str(), headers, body, ct);
    if (method == "HEAD") return client.Head(path.c_str(), headers);
    if (method == "OPTIONS") return client.Options(path.c_str(), headers);
    ADD_FAILURE() << "the test cannot send " << method;
    return client.Get(path.c_str(), headers);
  }

  TempDir dir_;
  std::unique_ptr<store::Env> env_;
  std::unique_ptr<ApiServer> server_;
  std::string admin_;
};

// The merge throws on a collision between fragments; here each fragment is also checked on its own,
// so a failure names the file to fix.
TEST(OpenApiDocument, FragmentsAreDisjoint) {
  std::set<std::string> seen;
  ASSERT_GE(openApiFragments().size(), 2u);
  for (const auto& fragment : openApiFragments()) {
    const Json part = Json::parse(fragment.text, nullptr, false);
    ASSERT_TRUE(part.is_object()) << fragment.name << " is not a JSON object";
    const Json paths = part.value("paths", Json::object());
    const Json components = part.value("components", Json::object());
    for (const auto& [path, item] : paths.items())
      EXPECT_TRUE(seen.insert("path " + path).second) << fragment.name << " repeats " << path;
    for (const auto& [section, members] : components.items())
      for (const auto& [name, item] : members.items())
        EXPECT_TRUE(seen.insert(section + " " + name).second)
            << fragment.name << " repeats " << name;
  }
  EXPECT_NO_THROW(openApiDocument());
}

TEST(OpenApiDocument, ParsesAsOpenApi3) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded()) << "the merged OpenAPI document is not valid JSON";
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc.contains("openapi") && doc["openapi"].is_string());
  EXPECT_TRUE(doc["openapi"].get<std::string>().starts_with("3.0."))
      << "openapi is " << doc["openapi"];
  ASSERT_TRUE(doc.contains("info") && doc["info"].is_object());
  EXPECT_EQ(doc["info"].value("title", ""), "ispbox admin API");
  EXPECT_FALSE(doc["info"].value("version", "").empty());
  ASSERT_TRUE(doc.contains("paths") && doc["paths"].is_object());
  EXPECT_FALSE(doc["paths"].empty());
  ASSERT_TRUE(doc.contains("components") && doc["components"].is_object());
  ASSERT_TRUE(doc["components"].contains("schemas"));
  ASSERT_TRUE(doc["components"].contains("securitySchemes"));
}

TEST(OpenApiDocument, EveryOperationHasResponsesAndARole) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded());
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (std::find(kHttpMethods.begin(), kHttpMethods.end(), method) == kHttpMethods.end())
        continue;
      SCOPED_TRACE(upper(method) + " " + path);
      EXPECT_TRUE(operation.contains("summary"));
      EXPECT_TRUE(operation.contains("responses") && !operation["responses"].empty());
      ASSERT_TRUE(operation.contains("x-ispbox-role") && operation["x-ispbox-role"].is_string());
      // An unauthenticated operation must opt out of the global bearer requirement, and only it.
      const bool open = operation["x-ispbox-role"] == "none";
      const bool no_security =
          operation.contains("security") && operation["security"] == Json::array();
      EXPECT_EQ(open, no_security) << "security: [] must go with x-ispbox-role none";
    }
  }
}

// Both directions: a route missing from the document is undocumented API; a documented path the
// router lacks is a promise the server breaks.
TEST(OpenApiDocument, OperationsMatchTheRouter) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded());
  const std::set<MethodPath> documented = documentedOperations(doc);

  store::EnvOptions eo;
  TempDir dir;
  eo.dir = dir.path() / "state";
  auto env = store::Env::open(eo);
  ApiServer server(*env, ServerOptions{}, "test");
  std::set<MethodPath> routed;
  for (const Route& r : server.router().routes()) {
    EXPECT_TRUE(routed.emplace(r.method, r.pattern).second)
        << "route declared twice: " << r.method << " " << r.pattern;
  }

  std::set<MethodPath> undocumented, unrouted;
  for (const auto& op : routed)
    if (!documented.contains(op)) undocumented.insert(op);
  for (const auto& op : documented)
    if (!routed.contains(op)) unrouted.insert(op);
  EXPECT_TRUE(undocumented.empty())
      << "routes missing from appliance/api/openapi/*.json:" << listOf(undocumented);
  EXPECT_TRUE(unrouted.empty()) << "documented but not routed:" << listOf(unrouted);
}

TEST(OpenApiDocument, RolesMatchTheRouter) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded());
  store::EnvOptions eo;
  TempDir dir;
  eo.dir = dir.path() / "state";
  auto env = store::Env::open(eo);
  ApiServer server(*env, ServerOptions{}, "test");
  for (const Route& r : server.router().routes()) {
    SCOPED_TRACE(r.method + " " + r.pattern);
    const Json::json_pointer ptr("/paths/" + pointerToken(r.pattern) + "/" + lower(r.method));
    // A missing operation is reported by OperationsMatchTheRouter.
    if (!doc.contains(ptr)) continue;
    const Json& operation = doc.at(ptr);
    ASSERT_TRUE(operation.contains("x-ispbox-role"));
    EXPECT_EQ(operation["x-ispbox-role"].get<std::string>(), std::string(roleName(r.min_role)));
  }
}

TEST(OpenApiDocument, EveryRefResolves) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded());
  std::vector<std::pair<std::string, std::string>> refs;
  collectRefs(doc, "", refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& [where, ref] : refs) {
    // Only local references into components: the document is served alone, so nothing external.
    EXPECT_TRUE(ref.starts_with("#/components/")) << where << ": " << ref;
    if (!ref.starts_with("#/")) continue;
    const Json::json_pointer ptr(ref.substr(1));
    EXPECT_TRUE(doc.contains(ptr)) << where << ": $ref " << ref << " does not resolve";
  }
}

// Each documented operation, sent as an admin with placeholder path parameters: the router must
// dispatch it to a handler (never route_not_found or 405), and the handler must not crash.
TEST_F(OpenApiServer, EveryDocumentedOperationIsServed) {
  const Json doc = parseDocument();
  ASSERT_FALSE(doc.is_discarded());
  const std::set<MethodPath> documented = documentedOperations(doc);
  ASSERT_FALSE(documented.empty());
  static const std::regex kParam(R"(\{[^}/]+\})");
  for (const auto& [method, pattern] : documented) {
    const std::string path = std::regex_replace(pattern, kParam, "doc-probe");
    SCOPED_TRACE(method + " " + path);
    auto res = send(method, path, /*with_token=*/true);
    ASSERT_TRUE(res) << "no response: " << httplib::to_string(res.error());
    const Json body = Json::parse(res->body, nullptr, false);
    const std::string code =
        body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
    EXPECT_FALSE(res->status == 404 && code == "route_not_found") << res->body;
    EXPECT_NE(res->status, 405) << res->body;
    EXPECT_NE(res->status, 500) << res->body;
    // The token is an admin's, so no documented operation may refuse it.
    EXPECT_NE(res->status, 401) << res->body;
    EXPECT_NE(res->status, 403) << res->body;
  }
}

TEST_F(OpenApiServer, ServesTheCompiledDocumentWithoutAToken) {
  auto res = send("GET", "/api/v1/openapi.json", /*with_token=*/false);
  ASSERT_TRUE(res) << "no response: " << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(res->body == openApiDocument())
      << "the served document differs from the compiled one";
}

} // namespace
} // namespace ispbox::api
