// SPDX-License-Identifier: GPL-2.0-or-later
// A table of bad requests and the answer each must get. Every row also checks that nothing was
// written: the store's change sequence does not move.
#include "tests/appliance/api_fixture.h"

namespace ispbox::testutil {
namespace {

enum class Auth { Admin, Operator, ReadOnly, None, Bogus };

struct BadCase {
  const char* name;
  const char* method;
  const char* path;
  std::string body;
  int status;
  const char* code;
  Auth auth = Auth::Admin;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

const std::string kPlan = R"("name":"p2","download_bps":10000000,"upload_bps":5000000)";
const std::string kSub = R"("username":"bob","password":"pw","plan":"basic")";
const std::string kNas = R"("name":"r2","secret":"s3cret")";

std::string plan(const std::string& extra) {
  return "{" + kPlan + extra + "}";
}
std::string sub(const std::string& extra) {
  return "{" + kSub + extra + "}";
}
std::string nas(const std::string& extra) {
  return "{" + kNas + extra + "}";
}

const BadCase kCases[] = {
    // Not JSON, or not an object.
    {"truncated_json", "POST", "/api/v1/plans", "{\"name\":", 400, "malformed_json"},
    {"empty_body", "POST", "/api/v1/plans", "", 400, "malformed_json"},
    {"array_body", "POST", "/api/v1/plans", "[]", 400, "malformed_json"},
    {"string_body", "POST", "/api/v1/subscribers", "\"alice\"", 400, "malformed_json"},
    {"trailing_garbage", "POST", "/api/v1/plans", plan("") + "x", 400, "malformed_json"},
    {"invalid_utf8", "POST", "/api/v1/subscribers", sub(",\"comment\":\"\xff\xfe\""), 400,
     "malformed_json"},
    {"number_overflow", "POST", "/api/v1/plans", plan(",\"data_cap_bytes\":1e400"), 400,
     "malformed_json"},
    {"deep_nesting", "POST", "/api/v1/plans", std::string(100000, '[') + std::string(100000, ']'),
     400, "malformed_json"},
    // Fields: unknown, missing, wrong type, out of range.
    {"unknown_field", "POST", "/api/v1/plans", plan(",\"speed\":1"), 422, "unknown_field"},
    {"unknown_nested_field", "POST", "/api/v1/plans", plan(",\"isolation\":{\"colour\":1}"), 422,
     "unknown_field"},
    {"missing_rate", "POST", "/api/v1/plans", R"({"name":"p2","download_bps":1})", 422,
     "missing_field"},
    {"rate_as_string", "POST", "/api/v1/plans",
     R"({"name":"p2","download_bps":"10M","upload_bps":1})", 422, "wrong_type"},
    {"rate_as_float", "POST", "/api/v1/plans", R"({"name":"p2","download_bps":1.5,"upload_bps":1})",
     422, "wrong_type"},
    {"rate_negative", "POST", "/api/v1/plans", R"({"name":"p2","download_bps":-5,"upload_bps":1})",
     422, "invalid_value"},
    {"rate_zero", "POST", "/api/v1/plans", R"({"name":"p2","download_bps":0,"upload_bps":1})", 422,
     "invalid_value"},
    {"plan_name_space", "POST", "/api/v1/plans",
     R"({"name":"p 2","download_bps":1,"upload_bps":1})", 422, "invalid_value"},
    {"plan_name_dotdot", "POST", "/api/v1/plans",
     R"({"name":"..","download_bps":1,"upload_bps":1})", 422, "invalid_value"},
    {"min_rate_above_rate", "POST", "/api/v1/plans", plan(",\"min_upload_bps\":6000000"), 422,
     "invalid_value"},
    {"data_cap_beyond_json", "POST", "/api/v1/plans", plan(",\"data_cap_bytes\":9007199254740992"),
     422, "invalid_value"},
    {"priority_range", "POST", "/api/v1/plans", plan(",\"priority\":9"), 422, "invalid_value"},
    {"burst_below_rate", "POST", "/api/v1/plans",
     plan(R"(,"burst":{"download_bps":1000,"upload_bps":1000,"threshold_download_bps":500,)"
          R"("threshold_upload_bps":500,"time_s":8})"),
     422, "invalid_value"},
    {"burst_incomplete", "POST", "/api/v1/plans", plan(R"(,"burst":{"download_bps":20000000})"),
     422, "missing_field"},
    {"isolation_not_object", "POST", "/api/v1/plans", plan(",\"isolation\":true"), 422,
     "wrong_type"},
    {"duplicate_plan", "POST", "/api/v1/plans",
     R"({"name":"basic","download_bps":1,"upload_bps":1})", 409, "conflict"},
    {"plan_rename", "PATCH", "/api/v1/plans/basic", R"({"name":"other"})", 422, "immutable_field"},
    {"plan_null_rate", "PATCH", "/api/v1/plans/basic", R"({"download_bps":null})", 422,
     "wrong_type"},
    {"delete_plan_in_use", "DELETE", "/api/v1/plans/basic", "", 409, "conflict"},
    {"unknown_plan_get", "GET", "/api/v1/plans/nope", "", 404, "not_found"},
    // Subscribers.
    {"subscriber_unknown_plan", "POST", "/api/v1/subscribers",
     R"({"username":"bob","password":"pw","plan":"nope"})", 422, "plan_not_found"},
    {"duplicate_username", "POST", "/api/v1/subscribers",
     R"({"username":"alice","password":"pw","plan":"basic"})", 409, "conflict"},
    {"static_ip_invalid", "POST", "/api/v1/subscribers", sub(",\"static_ip\":\"10.0.0.300\""), 422,
     "invalid_ip"},
    {"static_ip_octal", "POST", "/api/v1/subscribers", sub(",\"static_ip\":\"010.0.0.1\""), 422,
     "invalid_ip"},
    {"static_ip_v6", "POST", "/api/v1/subscribers", sub(",\"static_ip\":\"2001:db8::1\""), 422,
     "invalid_ip"},
    {"static_ip_taken", "POST", "/api/v1/subscribers", sub(",\"static_ip\":\"100.64.0.10\""), 409,
     "conflict"},
    {"mac_invalid", "POST", "/api/v1/subscribers", sub(",\"mac\":\"zz:zz\""), 422, "invalid_mac"},
    {"expiry_not_rfc3339", "POST", "/api/v1/subscribers", sub(",\"expires_at\":\"tomorrow\""), 422,
     "invalid_time"},
    {"expiry_bad_date", "POST", "/api/v1/subscribers",
     sub(",\"expires_at\":\"2026-02-30T00:00:00Z\""), 422, "invalid_time"},
    {"status_unknown", "POST", "/api/v1/subscribers", sub(",\"status\":\"deleted\""), 422,
     "invalid_value"},
    {"username_space", "POST", "/api/v1/subscribers",
     R"({"username":"bo b","password":"pw","plan":"basic"})", 422, "invalid_value"},
    {"username_slash", "POST", "/api/v1/subscribers",
     R"({"username":"a/b","password":"pw","plan":"basic"})", 422, "invalid_value"},
    {"username_dot", "POST", "/api/v1/subscribers",
     R"({"username":".","password":"pw","plan":"basic"})", 422, "invalid_value"},
    {"username_too_long", "POST", "/api/v1/subscribers",
     R"({"username":")" + std::string(254, 'u') + R"(","password":"pw","plan":"basic"})", 422,
     "invalid_value"},
    {"password_too_long", "POST", "/api/v1/subscribers",
     R"({"username":"bob","password":")" + std::string(129, 'p') + R"(","plan":"basic"})", 422,
     "invalid_value"},
    {"password_null", "POST", "/api/v1/subscribers",
     R"({"username":"bob","password":null,"plan":"basic"})", 422, "missing_field"},
    {"password_object", "POST", "/api/v1/subscribers",
     R"({"username":"bob","password":{"x":1},"plan":"basic"})", 422, "wrong_type"},
    {"control_chars", "POST", "/api/v1/subscribers", sub(",\"comment\":\"a\\u0000b\""), 422,
     "invalid_value"},
    {"simultaneous_use_zero", "POST", "/api/v1/subscribers", sub(",\"simultaneous_use\":0"), 422,
     "invalid_value"},
    {"simultaneous_use_huge", "POST", "/api/v1/subscribers",
     sub(",\"simultaneous_use\":18446744073709551616"), 422, "wrong_type"},
    {"rename_subscriber", "PATCH", "/api/v1/subscribers/alice", R"({"username":"eve"})", 422,
     "immutable_field"},
    {"patch_unknown_plan", "PATCH", "/api/v1/subscribers/alice", R"({"plan":"nope"})", 422,
     "plan_not_found"},
    {"patch_missing_subscriber", "PATCH", "/api/v1/subscribers/nobody", R"({"comment":"x"})", 404,
     "not_found"},
    {"get_missing_subscriber", "GET", "/api/v1/subscribers/nobody", "", 404, "not_found"},
    {"delete_missing_subscriber", "DELETE", "/api/v1/subscribers/nobody", "", 404, "not_found"},
    // Query strings.
    {"limit_zero", "GET", "/api/v1/subscribers?limit=0", "", 400, "invalid_query"},
    {"limit_text", "GET", "/api/v1/subscribers?limit=ten", "", 400, "invalid_query"},
    {"limit_huge", "GET", "/api/v1/subscribers?limit=100000", "", 400, "invalid_query"},
    {"cursor_forged", "GET", "/api/v1/subscribers?cursor=zz", "", 400, "invalid_query"},
    {"status_filter", "GET", "/api/v1/subscribers?status=gone", "", 400, "invalid_query"},
    {"nas_vendor_filter", "GET", "/api/v1/nas?vendor=acme", "", 400, "invalid_query"},
    {"audit_cursor_zero", "GET", "/api/v1/audit?cursor=0000000000000000", "", 400, "invalid_query"},
    {"audit_cursor", "GET", "/api/v1/audit?cursor=00", "", 400, "invalid_query"},
    // NAS clients.
    {"nas_ip_invalid", "POST", "/api/v1/nas", nas(",\"ip\":\"router-1\""), 422, "invalid_ip"},
    {"nas_ip_taken", "POST", "/api/v1/nas", nas(",\"ip\":\"10.0.0.1\""), 409, "conflict"},
    {"nas_missing_secret", "POST", "/api/v1/nas", R"({"name":"r2","ip":"10.0.0.2"})", 422,
     "missing_field"},
    {"nas_coa_port", "POST", "/api/v1/nas", nas(",\"ip\":\"10.0.0.2\",\"coa_port\":70000"), 422,
     "invalid_value"},
    {"nas_vendor", "POST", "/api/v1/nas", nas(",\"ip\":\"10.0.0.2\",\"vendor\":\"acme\""), 422,
     "invalid_value"},
    {"nas_routeros_no_user", "POST", "/api/v1/nas",
     nas(",\"ip\":\"10.0.0.2\",\"routeros\":{\"password\":\"x\"}"), 422, "missing_field"},
    {"nas_routeros_transport", "POST", "/api/v1/nas",
     nas(",\"ip\":\"10.0.0.2\",\"routeros\":{\"username\":\"a\",\"transport\":\"ssh\"}"), 422,
     "invalid_value"},
    // Tokens.
    {"token_role", "POST", "/api/v1/tokens", R"({"name":"x","role":"root"})", 422, "invalid_value"},
    {"token_missing", "DELETE", "/api/v1/tokens/ffffffff", "", 404, "not_found"},
    // Routing and authentication.
    {"no_route", "GET", "/api/v1/nothing", "", 404, "route_not_found"},
    {"wrong_method", "PUT", "/api/v1/subscribers/alice", "{}", 405, "method_not_allowed"},
    {"no_token", "GET", "/api/v1/subscribers", "", 401, "unauthorized", Auth::None},
    {"bogus_token", "GET", "/api/v1/subscribers", "", 401, "unauthorized", Auth::Bogus},
    {"readonly_writes", "POST", "/api/v1/subscribers", sub(""), 403, "forbidden", Auth::ReadOnly},
    {"operator_nas", "POST", "/api/v1/nas", nas(",\"ip\":\"10.0.0.2\""), 403, "forbidden",
     Auth::Operator},
    {"operator_tokens", "GET", "/api/v1/tokens", "", 403, "forbidden", Auth::Operator},
    {"readonly_audit", "GET", "/api/v1/audit", "", 403, "forbidden", Auth::ReadOnly},
    // Size.
    {"body_too_large", "POST", "/api/v1/subscribers",
     sub(",\"comment\":\"" + std::string(2 << 20, 'x') + "\""), 413, "payload_too_large"},
};

class BadInput : public ApiFixture, public ::testing::WithParamInterface<BadCase> {
protected:
  void SetUp() override {
    ApiFixture::SetUp();
    ASSERT_EQ(call("POST", "/api/v1/plans",
                   R"({"name":"basic","download_bps":10000000,)"
                   R"("upload_bps":5000000})")
                  .status,
              201);
    ASSERT_EQ(call("POST", "/api/v1/subscribers",
                   R"({"username":"alice","password":"pw","plan":"basic",)"
                   R"("static_ip":"100.64.0.10"})")
                  .status,
              201);
    ASSERT_EQ(call("POST", "/api/v1/nas", R"({"name":"r1","ip":"10.0.0.1","secret":"s"})").status,
              201);
  }
};

TEST_P(BadInput, GetsClearErrorAndWritesNothing) {
  const BadCase& c = GetParam();
  std::string token;
  switch (c.auth) {
  case Auth::Admin:
    token = admin_;
    break;
  case Auth::Operator:
    token = operator_;
    break;
  case Auth::ReadOnly:
    token = readonly_;
    break;
  case Auth::None:
    token = "";
    break;
  case Auth::Bogus:
    token = "ispbox_not_a_real_token";
    break;
  }
  const uint64_t before = latestChange();
  Reply r = call(c.method, c.path, c.body, token);
  EXPECT_EQ(r.status, c.status) << r.raw.substr(0, 300);
  ASSERT_TRUE(r.body.is_object()) << "error body is not JSON: " << r.raw.substr(0, 300);
  ASSERT_TRUE(r.body.contains("error")) << r.raw.substr(0, 300);
  EXPECT_EQ(r.body["error"].value("code", ""), c.code) << r.raw.substr(0, 300);
  EXPECT_FALSE(r.body["error"].value("message", "").empty());
  EXPECT_EQ(latestChange(), before) << "a rejected request wrote to the store";
  // And the server is still there.
  EXPECT_EQ(call("GET", "/api/v1/health", "", "").status, 200);
}

std::string caseName(const ::testing::TestParamInfo<BadCase>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Table, BadInput, ::testing::ValuesIn(kCases), caseName);

} // namespace
} // namespace ispbox::testutil
