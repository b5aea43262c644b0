// SPDX-License-Identifier: GPL-2.0-or-later
// The vouchers resources over real HTTP: generating a batch, listing batches and vouchers with
// keyset paging and filters, a voucher with its usage, revoking and deleting, the CSV export
// parsed back with a strict RFC 4180 reader, roles, and bad input that writes nothing. Replies are
// checked against their schemas in the published OpenAPI document.
#include <set>
#include <string>
#include <vector>

#include "common/time_util.h"
#include "store/sessions.h"
#include "store/vouchers.h"
#include "tests/appliance/api_fixture.h"
#include "tests/appliance/schema_check.h"

namespace ispbox::testutil {
namespace {

using api::Json;
namespace pb = store::pb;

using Row = std::vector<std::string>;

// A strict RFC 4180 reader: CRLF after every record, quoted fields with "" for a quote, and
// nothing else accepted (a stray quote or a bare LF fails the test).
std::vector<Row> parseCsv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    ADD_FAILURE() << "not RFC 4180 at byte " << i << ": " << why;
    return std::vector<Row>{};
  };
  while (i < text.size()) {
    if (text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) return fail("unterminated quote");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          field += text[i];
        }
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
        if (text[i] == '"') return fail("quote inside an unquoted field");
        field += text[i++];
      }
    }
    if (i < text.size() && text[i] == ',') {
      row.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      i += 2;
    } else {
      return fail("expected ',' or CRLF");
    }
  }
  if (!row.empty() || !field.empty()) return fail("last record without CRLF");
  return rows;
}

bool alphabetOnly(std::string_view s) {
  for (char c : s)
    if (store::kVoucherAlphabet.find(c) == std::string_view::npos) return false;
  return true;
}

class VouchersApi : public ApiFixture {
protected:
  void SetUp() override {
    ApiFixture::SetUp();
    ASSERT_EQ(call("POST", "/api/v1/plans",
                   R"({"name": "hs-1d", "download_bps": 4000000, "upload_bps": 1000000})")
                  .status,
              201);
  }

  // Generates a batch; returns its reply.
  Reply batch(const std::string& body, const std::string& token = "\x01") {
    return call("POST", "/api/v1/voucher-batches", body, token);
  }

  std::vector<std::string> codesOf(uint64_t batch_id) {
    std::vector<std::string> out;
    auto txn = env_->read();
    store::forEachVoucherInBatch(txn, batch_id, "", [&](std::string_view c) {
      out.emplace_back(c);
      return true;
    });
    return out;
  }

  // Everything a failed request must leave as it was.
  std::vector<uint64_t> footprint() {
    auto txn = env_->read();
    return {txn.count(store::Table::Vouchers), txn.count(store::Table::VoucherBatches),
            txn.count(store::Table::VouchersByBatch), txn.count(store::Table::Audit),
            store::latestChange(txn)};
  }

  std::vector<store::AuditRecord> auditOf(const std::string& entity) {
    auto txn = env_->read();
    return store::listAudit(txn, 0, 100,
                            [&](const pb::AuditEntry& e) { return e.entity() == entity; });
  }
};

TEST_F(VouchersApi, GenerateListPageAndExportParsedBack) {
  auto r = batch(R"({"count": 25, "prefix": "HS-", "length": 8, "plan": "hs-1d",
                     "validity_s": 86400, "data_limit_bytes": 2000000000,
                     "password_mode": "random", "password_length": 6,
                     "comment": "Shop \"Mawar\", Jl. Merdeka 5"})");
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(violations("VoucherBatch", r.body), "");
  EXPECT_EQ(r.body["id"], 1);
  EXPECT_EQ(r.body["count"], 25);
  EXPECT_EQ(r.body["password_mode"], "random");
  EXPECT_EQ(r.body["password_length"], 6);
  EXPECT_EQ(r.body["time_limit_s"], nullptr);
  EXPECT_EQ(r.body["states"]["unused"], 25);
  EXPECT_EQ(r.body["created_by"], "admin");

  // Defaults: length 10, password same as code.
  auto second = batch(R"({"count": 3, "plan": "hs-1d", "time_limit_s": 3600})");
  ASSERT_EQ(second.status, 201) << second.raw;
  EXPECT_EQ(second.body["length"], 10);
  EXPECT_EQ(second.body["password_mode"], "same_as_code");
  EXPECT_EQ(second.body["password_length"], nullptr);

  auto list = call("GET", "/api/v1/voucher-batches");
  ASSERT_EQ(list.status, 200) << list.raw;
  EXPECT_EQ(violations("VoucherBatchPage", list.body), "");
  ASSERT_EQ(list.body["items"].size(), 2u);
  EXPECT_EQ(list.body["items"][0]["id"], 1);
  EXPECT_EQ(list.body["items"][1]["id"], 2);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches?plan=other").body["items"].size(), 0u);

  // Keyset paging through one batch: every code once, in order, nothing of the other batch.
  std::vector<std::string> paged;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto p = call("GET", "/api/v1/vouchers?batch=1&limit=10" +
                             (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(p.status, 200) << p.raw;
    EXPECT_EQ(violations("VoucherPage", p.body), "");
    for (const auto& v : p.body["items"]) {
      paged.push_back(v["code"]);
      EXPECT_EQ(v["batch"], 1);
      EXPECT_EQ(v["state"], "unused");
      EXPECT_EQ(v["usage"]["validity_left_s"], 86400);
      EXPECT_FALSE(v.contains("password"));
    }
    if (p.body["next_cursor"].is_null()) break;
    cursor = p.body["next_cursor"];
  }
  EXPECT_EQ(paged, codesOf(1));
  ASSERT_EQ(paged.size(), 25u);
  for (const auto& code : paged) {
    EXPECT_TRUE(code.starts_with("HS-")) << code;
    EXPECT_EQ(code.size(), 11u);
    EXPECT_TRUE(alphabetOnly(code.substr(3))) << code;
  }
  // Without a batch filter: both batches, 28 in all, in code order.
  auto all = call("GET", "/api/v1/vouchers?limit=1000");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["items"].size(), 28u);

  auto csv = call("GET", "/api/v1/voucher-batches/1/export");
  ASSERT_EQ(csv.status, 200) << csv.raw;
  auto header = [&](const std::string& name) {
    auto it = csv.headers.find(name);
    return it == csv.headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(header("Content-Disposition"), "attachment; filename=\"vouchers-1.csv\"");
  const std::vector<Row> rows = parseCsv(csv.raw);
  ASSERT_EQ(rows.size(), 26u) << csv.raw;
  EXPECT_EQ(rows[0],
            (Row{"code", "password", "plan", "validity_s", "time_limit_s", "data_limit_bytes",
                 "state", "first_used_at", "expires_at", "batch", "comment"}));
  std::vector<std::string> exported;
  for (size_t i = 1; i < rows.size(); ++i) {
    const Row& row = rows[i];
    ASSERT_EQ(row.size(), 11u);
    exported.push_back(row[0]);
    EXPECT_EQ(row[1].size(), 6u);
    EXPECT_TRUE(alphabetOnly(row[1])) << row[1];
    EXPECT_EQ(row[2], "hs-1d");
    EXPECT_EQ(row[3], "86400");
    EXPECT_EQ(row[4], "");
    EXPECT_EQ(row[5], "2000000000");
    EXPECT_EQ(row[6], "unused");
    EXPECT_EQ(row[7], "");
    EXPECT_EQ(row[9], "1");
    EXPECT_EQ(row[10], "Shop \"Mawar\", Jl. Merdeka 5"); // quotes and comma survived
    // The password is the one RADIUS will check.
    auto txn = env_->read();
    EXPECT_EQ(store::getVoucher(txn, row[0])->password(), row[1]);
  }
  EXPECT_EQ(exported, paged);

  // same_as_code: the password column repeats the code.
  const std::vector<Row> same = parseCsv(call("GET", "/api/v1/voucher-batches/2/export").raw);
  ASSERT_EQ(same.size(), 4u);
  for (size_t i = 1; i < same.size(); ++i)
    EXPECT_EQ(same[i][0], same[i][1]);

  // Audited: the two creations (no passwords in them) and the two exports.
  const auto entries = auditOf("voucher_batch");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[3].entry.action(), "create");
  EXPECT_EQ(entries[1].entry.action(), "export");
  EXPECT_EQ(entries[1].entry.key(), "1");
  for (const auto& e : entries)
    for (const auto& code : paged)
      EXPECT_EQ(e.entry.detail().find(code), std::string::npos);
}

TEST_F(VouchersApi, VoucherShowsUsageStateAndWhatIsLeft) {
  ASSERT_EQ(batch(R"({"count": 3, "plan": "hs-1d", "validity_s": 7200, "time_limit_s": 3600,
                      "data_limit_bytes": 1000000})")
                .status,
            201);
  const auto codes = codesOf(1);
  const int64_t now = timeutil::nowSeconds();
  {
    auto txn = env_->write();
    store::activateVoucher(txn, codes[0], now - 600);
    store::addUsage(txn, codes[0], now - 60, 300000, 100000, 1200);
    store::activateVoucher(txn, codes[1], now - 600);
    store::addUsage(txn, codes[1], now - 60, 999999, 1, 10);
    txn.commit();
  }
  auto r = call("GET", "/api/v1/vouchers/" + codes[0], "", readonly_);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(violations("Voucher", r.body), "");
  EXPECT_EQ(r.body["state"], "active");
  EXPECT_EQ(r.body["first_used_at"], timeutil::formatRfc3339(now - 600));
  EXPECT_EQ(r.body["expires_at"], timeutil::formatRfc3339(now - 600 + 7200));
  EXPECT_EQ(r.body["usage"]["input_octets"], 300000);
  EXPECT_EQ(r.body["usage"]["output_octets"], 100000);
  EXPECT_EQ(r.body["usage"]["total_octets"], 400000);
  EXPECT_EQ(r.body["usage"]["session_time_s"], 1200);
  EXPECT_EQ(r.body["usage"]["time_left_s"], 2400);
  EXPECT_EQ(r.body["usage"]["data_left_bytes"], 600000);
  const int64_t validity_left = r.body["usage"]["validity_left_s"];
  EXPECT_LE(validity_left, 6600);
  EXPECT_GE(validity_left, 6590);
  EXPECT_EQ(r.body["live_sessions"], 0);

  EXPECT_EQ(call("GET", "/api/v1/vouchers/" + codes[1]).body["state"], "exhausted");
  auto by_state = [&](const std::string& state) {
    std::set<std::string> out;
    const Reply page = call("GET", "/api/v1/vouchers?state=" + state);
    for (const auto& v : page.body["items"])
      out.insert(v["code"].get<std::string>());
    return out;
  };
  EXPECT_EQ(by_state("active"), std::set<std::string>{codes[0]});
  EXPECT_EQ(by_state("exhausted"), std::set<std::string>{codes[1]});
  EXPECT_EQ(by_state("unused"), std::set<std::string>{codes[2]});
  EXPECT_TRUE(by_state("expired").empty());

  auto detail = call("GET", "/api/v1/voucher-batches/1", "", readonly_);
  ASSERT_EQ(detail.status, 200);
  EXPECT_EQ(violations("VoucherBatch", detail.body), "");
  EXPECT_EQ(detail.body["states"],
            (Json{{"unused", 1}, {"active", 1}, {"expired", 0}, {"exhausted", 1}, {"revoked", 0}}));

  EXPECT_EQ(call("GET", "/api/v1/vouchers/NOSUCHCODE").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/99").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/abc").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/vouchers?state=sold").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/vouchers?batch=x").status, 400);
}

TEST_F(VouchersApi, RevokeAndDeleteRules) {
  ASSERT_EQ(batch(R"({"count": 3, "plan": "hs-1d", "validity_s": 3600})").status, 201);
  const auto codes = codesOf(1);
  {
    auto txn = env_->write();
    store::activateVoucher(txn, codes[0], timeutil::nowSeconds());
    txn.commit();
  }
  // A batch with a voucher in use cannot be deleted; nor its plan; nor can a subscriber take a
  // code.
  auto refused = call("DELETE", "/api/v1/voucher-batches/1");
  EXPECT_EQ(refused.status, 409) << refused.raw;
  EXPECT_EQ(call("DELETE", "/api/v1/plans/hs-1d").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/subscribers",
                 R"({"username": ")" + codes[1] + R"(", "password": "x", "plan": "hs-1d"})")
                .status,
            409);

  auto revoked = call("POST", "/api/v1/vouchers/" + codes[0] + "/revoke");
  ASSERT_EQ(revoked.status, 200) << revoked.raw;
  EXPECT_EQ(violations("Voucher", revoked.body), "");
  EXPECT_EQ(revoked.body["state"], "revoked");
  EXPECT_NE(revoked.body["revoked_at"], nullptr);
  const auto before = footprint();
  EXPECT_EQ(call("POST", "/api/v1/vouchers/" + codes[0] + "/revoke", "{}").status, 200);
  EXPECT_EQ(footprint(), before); // already revoked: nothing written
  EXPECT_EQ(call("POST", "/api/v1/vouchers/" + codes[0] + "/revoke", R"({"why": 1})").status, 422);

  auto whole = call("POST", "/api/v1/voucher-batches/1/revoke");
  ASSERT_EQ(whole.status, 200) << whole.raw;
  EXPECT_EQ(whole.body["states"]["revoked"], 3);

  EXPECT_EQ(call("DELETE", "/api/v1/vouchers/" + codes[2]).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/vouchers/" + codes[2]).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/voucher-batches/1").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/1").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/vouchers/" + codes[0]).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/plans/hs-1d").status, 204);

  std::vector<std::string> actions;
  for (const auto& e : auditOf("voucher"))
    actions.push_back(e.entry.action() + " " + e.entry.key());
  EXPECT_EQ(actions, (std::vector<std::string>{"delete " + codes[2], "revoke " + codes[0]}));
}

TEST_F(VouchersApi, RolesKeepCodesFromReadonlyTokens) {
  ASSERT_EQ(batch(R"({"count": 2, "plan": "hs-1d", "validity_s": 60})", operator_).status, 201);
  const auto code = codesOf(1).at(0);
  // Readonly: batches and a voucher whose code it knows; never a list of codes.
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches", "", readonly_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/1", "", readonly_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/vouchers/" + code, "", readonly_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/vouchers", "", readonly_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/1/export", "", readonly_).status, 403);
  EXPECT_EQ(batch(R"({"count": 1, "plan": "hs-1d", "validity_s": 60})", readonly_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/vouchers/" + code + "/revoke", "", readonly_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/vouchers/" + code, "", readonly_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/voucher-batches/1", "", readonly_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/vouchers", "", "").status, 401);
  // Operator may do all of it.
  EXPECT_EQ(call("GET", "/api/v1/vouchers", "", operator_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/voucher-batches/1/export", "", operator_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/voucher-batches/1/revoke", "", operator_).status, 200);
}

TEST_F(VouchersApi, BadInputIsRefusedAndWritesNothing) {
  ASSERT_EQ(batch(R"({"count": 1, "plan": "hs-1d", "validity_s": 60})").status, 201);
  const auto before = footprint();
  struct Case {
    std::string body;
    int status;
    std::string code, field;
  };
  const std::vector<Case> cases = {
      {"not json", 400, "malformed_json", ""},
      {"[1]", 400, "malformed_json", ""},
      {R"({"plan": "hs-1d", "validity_s": 60})", 422, "missing_field", "count"},
      {R"({"count": 1, "validity_s": 60})", 422, "missing_field", "plan"},
      {R"({"count": 1, "plan": "hs-1d"})", 422, "missing_field", "validity_s"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 0})", 422, "missing_field", "validity_s"},
      {R"({"count": 0, "plan": "hs-1d", "validity_s": 60})", 422, "invalid_value", "count"},
      {R"({"count": 10001, "plan": "hs-1d", "validity_s": 60})", 422, "invalid_value", "count"},
      {R"({"count": "5", "plan": "hs-1d", "validity_s": 60})", 422, "wrong_type", "count"},
      {R"({"count": 1.5, "plan": "hs-1d", "validity_s": 60})", 422, "wrong_type", "count"},
      {R"({"count": -1, "plan": "hs-1d", "validity_s": 60})", 422, "invalid_value", "count"},
      {R"({"count": 1, "plan": "nope", "validity_s": 60})", 422, "plan_not_found", "plan"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "length": 5})", 422, "invalid_value",
       "length"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "length": 33})", 422, "invalid_value",
       "length"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "prefix": "hs"})", 422, "invalid_value",
       "prefix"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "prefix": "-X"})", 422, "invalid_value",
       "prefix"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "prefix": "ABCDEFGHIJKLMNOPQ"})", 422,
       "invalid_value", "prefix"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 999999999999})", 422, "invalid_value",
       "validity_s"},
      {R"({"count": 1, "plan": "hs-1d", "data_limit_bytes": 2000000000000000000})", 422,
       "invalid_value", "data_limit_bytes"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "password_mode": "pin"})", 422,
       "invalid_value", "password_mode"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "password_length": 6})", 422,
       "invalid_value", "password_length"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "password_mode": "random",
           "password_length": 3})",
       422, "invalid_value", "password_length"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "comment": "a\nb"})", 422,
       "invalid_value", "comment"},
      {R"({"count": 1, "plan": "hs-1d", "validity_s": 60, "price": 5000})", 422, "unknown_field",
       "price"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = batch(c.body);
    EXPECT_EQ(r.status, c.status) << r.raw;
    EXPECT_EQ(violations("Error", r.body), "");
    EXPECT_EQ(r.body["error"]["code"], c.code) << r.raw;
    if (!c.field.empty()) {
      EXPECT_EQ(r.body["error"]["field"], c.field) << r.raw;
    }
  }
  EXPECT_EQ(call("POST", "/api/v1/voucher-batches/1/revoke", "nope").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/voucher-batches/1/revoke", R"({"all": true})").status, 422);
  EXPECT_EQ(call("DELETE", "/api/v1/voucher-batches/0").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/voucher-batches/18446744073709551616").status, 404);
  EXPECT_EQ(footprint(), before);
}

} // namespace
} // namespace ispbox::testutil
