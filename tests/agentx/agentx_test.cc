// SPDX-License-Identifier: GPL-2.0-or-later
// ispbox-agentx against real peers: a private snmpd as AgentX master, a private snmptrapd, and
// snmpget / snmpwalk / snmpbulkwalk / snmptable over SNMPv3 authPriv. Expected values are read
// from the store through its own API (what the admin API reports), not written down twice.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "store/entities.h"
#include "store/env.h"
#include "store/logs.h"
#include "store/olt.h"
#include "store/sessions.h"
#include "tests/agentx/snmp_peers.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace ispbox {
namespace {

using namespace std::chrono_literals;
using testutil::Process;
using testutil::SnmpPeers;

const std::string kRoot = ".1.3.6.1.4.1.8072.9999.9999.2718";
const std::string kSummary = kRoot + ".1.1";
const std::string kNasEntry = kRoot + ".1.2.1";
const std::string kSubEntry = kRoot + ".1.6.1";
const std::string kSessEntry = kRoot + ".1.7.1";
const std::string kOltEntry = kRoot + ".1.3.1";
const std::string kPonEntry = kRoot + ".1.4.1";
const std::string kOnuEntry = kRoot + ".1.5.1";
const std::string kSnmpTrapOid = ".1.3.6.1.6.3.1.1.4.1.0 = OID: ";

// ispboxPonIndex of a ZTE port, written out here (docs/snmp.md) rather than taken from the code.
uint32_t zteIfIndex(uint32_t slot, uint32_t port) {
  return 0x11010000u + slot * 0x100u + port;
}

std::string hundredths(bool has, double dbm) {
  return has ? std::to_string(std::lround(dbm * 100)) : "-2147483648";
}

std::string strIndex(std::string_view s) {
  std::string out = "." + std::to_string(s.size());
  for (unsigned char c : s)
    out += "." + std::to_string(c);
  return out;
}

// "-On -Oq" output lines ".oid value" -> map (string values keep their quotes stripped).
std::map<std::string, std::string> parseWalk(const std::string& out) {
  std::map<std::string, std::string> m;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (line.empty() || line[0] != '.' || sp == std::string::npos) continue;
    std::string v = line.substr(sp + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    m[line.substr(0, sp)] = v;
  }
  return m;
}

class AgentxTest : public ::testing::Test {
protected:
  void SetUp() override {
    state_ = tmp_.path() / "state";
    store::EnvOptions o;
    o.dir = state_;
    env_ = store::Env::open(o);
    populate();
    peers_ = std::make_unique<SnmpPeers>(tmp_.path() / "snmp");
    startAgent();
  }

  void TearDown() override {
    if (agent_) {
      agent_->kill(SIGTERM);
      auto st = agent_->wait(10s);
      ASSERT_TRUE(st.has_value()) << "ispbox-agentx did not stop on SIGTERM";
      EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
          << "ispbox-agentx exit status " << *st << "; log: " << (tmp_.path() / "agentx.log");
    }
    peers_.reset();
  }

  void startAgent() {
    agent_ = std::make_unique<Process>(
        std::vector<std::string>{ISPBOX_AGENTX_PATH, "--state-dir", state_.string(),
                                 "--agentx-socket", peers_->agentxSocket(), "--ping-interval", "1",
                                 "--refresh-ms", "200"},
        (tmp_.path() / "agentx.log").string());
    // Ready when its first summary scalar answers through snmpd.
    ASSERT_TRUE(waitFor([&] { return get(kSummary + ".1.0").has_value(); }, 15s))
        << "the subagent never answered; log: " << (tmp_.path() / "agentx.log");
  }

  template <class F> bool waitFor(F&& f, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (f()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return f();
  }

  // The value of one object, or nullopt when snmpd has none (noSuchObject/Instance, timeout).
  std::optional<std::string> get(const std::string& oid) {
    auto r = peers_->tool("snmpget", "-On -Oqv -r1 -t2", oid);
    if (r.status != 0 || r.out.find("No Such") != std::string::npos) return std::nullopt;
    std::string v = r.out.substr(0, r.out.find('\n'));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }

  template <class F> void write(F&& f) {
    auto txn = env_->write();
    f(txn);
    txn.commit();
  }

  void populate() {
    write([&](store::WriteTxn& txn) {
      store::pb::Plan basic;
      basic.set_name("basic-10m");
      basic.set_download_bps(10000000);
      basic.set_upload_bps(2000000);
      basic.set_data_cap_bytes(5000000);
      store::putPlan(txn, basic, store::WriteMode::Create);
      store::pb::Plan pro;
      pro.set_name("pro-50m");
      pro.set_download_bps(50000000);
      pro.set_upload_bps(10000000);
      store::putPlan(txn, pro, store::WriteMode::Create);

      auto sub = [&](const std::string& name, const std::string& plan,
                     store::pb::SubscriberStatus st, const std::string& ext) {
        store::pb::Subscriber s;
        s.set_username(name);
        s.set_password("pw");
        s.set_plan(plan);
        s.set_status(st);
        s.set_external_id(ext);
        store::putSubscriber(txn, s, store::WriteMode::Create);
      };
      sub("alice", "basic-10m", store::pb::ACTIVE, "C-1001");
      sub("bob", "pro-50m", store::pb::ACTIVE, "C-1002");
      sub("carol@pop1", "basic-10m", store::pb::SUSPENDED, "");
      sub("dave", "pro-50m", store::pb::ISOLATED, "C-1004");
      sub("erin", "pro-50m", store::pb::TERMINATED, "");
      sub(std::string(150, 'x'), "pro-50m", store::pb::ACTIVE, ""); // too long for an index

      auto nas = [&](const std::string& name, const std::string& ip) {
        store::pb::Nas n;
        n.set_name(name);
        n.set_ip(ip);
        n.set_secret("s3cret");
        n.set_vendor("mikrotik");
        n.set_description("POP " + name);
        store::putNas(txn, n, store::WriteMode::Create);
      };
      nas("pop1-ccr", "10.0.0.1");
      nas("pop2-ccr", "10.0.0.2");

      const int64_t now = std::time(nullptr);
      auto session = [&](const std::string& nas_ip, const std::string& sid, const std::string& user,
                         uint64_t in, uint64_t out) {
        store::pb::Session s;
        s.set_username(user);
        s.set_nas_ip(nas_ip);
        s.set_acct_session_id(sid);
        s.set_framed_ip("100.64.0." + std::to_string(in % 250 + 1));
        s.set_calling_station_id("AA:BB:CC:00:00:01");
        s.set_started_at(now - 600);
        s.set_updated_at(now);
        s.set_session_time(600);
        s.set_input_octets(in);
        s.set_output_octets(out);
        s.set_state(store::pb::SESSION_ACTIVE);
        store::putSession(txn, store::sessionKey(nas_ip, sid), s);
      };
      session("10.0.0.1", "81a00001", "alice", 1000, 20000);
      session("10.0.0.1", "81a00002", "bob", 3000, 40000);
      session("10.0.0.2", "0x8100beef", "bob", 5000, 60000);
      store::addUsage(txn, "alice", now, 100000, 2000000, 600); // 2.1 MB of a 5 MB cap
      store::addUsage(txn, "bob", now, 7000, 9000000, 600);
    });
    populateOlts();
  }

  // Two ZTE OLTs as ispboxd's poller leaves them in the store (appliance/olt/olt_store.cc).
  void populateOlts() {
    write([&](store::WriteTxn& txn) {
      auto addOlt = [&](const std::string& id, const std::string& address, bool reachable) {
        store::pb::Olt o;
        o.set_id(id);
        o.set_address(address);
        o.set_vendor("auto");
        store::putOlt(txn, o, true);
        store::pb::OltStatus st;
        st.set_id(id);
        st.set_vendor("zte");
        st.set_model("C320");
        st.set_sys_descr("C320 Version V2.1.0 Software, Copyright (c) by ZTE Corporation");
        st.set_reachable(reachable);
        store::putOltStatus(txn, st);
      };
      auto pon = [&](const std::string& olt, uint32_t slot, uint32_t port, bool up) {
        store::pb::PonPort p;
        p.set_olt(olt);
        p.set_slot(slot);
        p.set_port(port);
        p.set_name("gpon-olt_1/" + std::to_string(slot) + "/" + std::to_string(port));
        p.set_admin_up(true);
        p.set_oper_up(up);
        store::putPon(txn, p);
      };
      auto onu = [&](const std::string& olt, uint32_t slot, uint32_t port, uint32_t id,
                     const std::string& serial, const std::string& phase, double rx) {
        store::pb::Onu u;
        u.set_olt(olt);
        u.set_slot(slot);
        u.set_port(port);
        u.set_onu_id(id);
        u.set_serial(serial);
        u.set_phase(phase);
        u.set_online(phase == "working");
        if (phase == "working") {
          u.set_rx_dbm(rx);
          u.set_tx_dbm(2.34);
          u.set_olt_rx_dbm(rx - 2.5);
          u.set_distance_m(1500 + id * 10);
        }
        store::putOnu(txn, u, nullptr);
      };
      addOlt("olt-north", "192.0.2.21", true);
      addOlt("olt-south", "192.0.2.22", false);
      pon("olt-north", 1, 1, true);
      pon("olt-north", 1, 2, false);
      pon("olt-south", 2, 16, true);
      onu("olt-north", 1, 1, 1, "ZTEGC0FFEE01", "working", -19.87);
      onu("olt-north", 1, 1, 2, "ZTEGC0FFEE02", "working", -27.5);
      onu("olt-north", 1, 1, 3, "ZTEGC0FFEE03", "offline", 0);
      onu("olt-north", 1, 2, 1, "ZTEGC0FFEE04", "los", 0); // already down: no trap at start
      onu("olt-south", 2, 16, 128, "ZTEGC0FFEE05", "working", -8.25);
      store::linkOnu(txn, "alice", store::onuKey("olt-north", 1, 1, 1));
    });
  }

  // What the poller writes for one ONU in one poll: the record, and the OLT's status with it.
  template <class F>
  void pollOnu(const std::string& olt, uint32_t slot, uint32_t port, uint32_t id, F&& change) {
    write([&](store::WriteTxn& txn) {
      const std::string key = store::onuKey(olt, slot, port, id);
      const auto before = store::getOnu(txn, key);
      ASSERT_TRUE(before.has_value());
      auto u = *before;
      change(u);
      store::putOnu(txn, u, &*before);
      auto st = *store::getOltStatus(txn, olt);
      st.set_updated_at(st.updated_at() + 1);
      store::putOltStatus(txn, st);
    });
  }

  size_t countInTrapLog(const std::string& needle) {
    std::ifstream log(tmp_.path() / "snmp" / "snmptrapd.log");
    std::string all((std::istreambuf_iterator<char>(log)), {});
    size_t n = 0;
    for (size_t p = 0; (p = all.find(needle, p)) != std::string::npos; ++p)
      ++n;
    return n;
  }

  testutil::TempDir tmp_;
  std::filesystem::path state_;
  std::unique_ptr<store::Env> env_;
  std::unique_ptr<SnmpPeers> peers_;
  std::unique_ptr<Process> agent_;
};

TEST_F(AgentxTest, SummaryScalarsMatchTheStore) {
  // Expected counts from the store itself.
  std::map<int, uint64_t> by_status;
  uint64_t total = 0, sessions = 0, nas = 0;
  {
    auto txn = env_->read();
    store::forEachRecord<store::pb::Subscriber>(txn, store::Table::Subscribers, "",
                                                [&](std::string_view, store::pb::Subscriber& s) {
                                                  if (s.username().size() <= 100) {
                                                    ++total;
                                                    ++by_status[s.status()];
                                                  }
                                                  return true;
                                                });
    store::forEachLiveSession(txn, "", [&](std::string_view, store::pb::Session&) {
      ++sessions;
      return true;
    });
    nas = txn.count(store::Table::Nas);
  }
  ASSERT_EQ(total, 5u); // the 150-octet username is not served
  auto w = peers_->tool("snmpwalk", "-On -Oq", kSummary);
  ASSERT_EQ(w.status, 0) << w.out;
  auto m = parseWalk(w.out);
  ASSERT_EQ(m.size(), 16u) << w.out;
  EXPECT_EQ(m[kSummary + ".1.0"], std::to_string(total));
  EXPECT_EQ(m[kSummary + ".2.0"], std::to_string(by_status[store::pb::ACTIVE]));
  EXPECT_EQ(m[kSummary + ".3.0"], std::to_string(by_status[store::pb::SUSPENDED]));
  EXPECT_EQ(m[kSummary + ".4.0"], std::to_string(by_status[store::pb::ISOLATED]));
  EXPECT_EQ(m[kSummary + ".5.0"], std::to_string(by_status[store::pb::TERMINATED]));
  EXPECT_EQ(m[kSummary + ".6.0"], std::to_string(sessions));
  EXPECT_EQ(m[kSummary + ".7.0"], std::to_string(nas));
  uint64_t onus = 0, online = 0;
  {
    auto txn = env_->read();
    for (const char* olt : {"olt-north", "olt-south"})
      store::forEachOnu(txn, olt, 0, 0, "", [&](std::string_view, const store::pb::Onu& u) {
        ++onus;
        online += u.online();
        return true;
      });
  }
  EXPECT_EQ(m[kSummary + ".8.0"], "2");  // OLTs
  EXPECT_EQ(m[kSummary + ".9.0"], "1");  // reachable
  EXPECT_EQ(m[kSummary + ".10.0"], "1"); // unreachable
  EXPECT_EQ(m[kSummary + ".11.0"], std::to_string(onus));
  EXPECT_EQ(m[kSummary + ".12.0"], std::to_string(online));
  EXPECT_EQ(m[kSummary + ".13.0"], "1"); // offline
  EXPECT_EQ(m[kSummary + ".14.0"], "1"); // LOS
  // The subagent's log names the username it could not index.
  std::ifstream log(tmp_.path() / "agentx.log");
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("AGENTX_KEY_UNSERVABLE"), std::string::npos);
}

TEST_F(AgentxTest, SubscriberTableMatchesTheStore) {
  // snmpbulkwalk of the whole table, compared row by row with the store.
  auto w = peers_->tool("snmpbulkwalk", "-On -Oq -Cr25", kSubEntry);
  ASSERT_EQ(w.status, 0) << w.out;
  auto m = parseWalk(w.out);
  auto txn = env_->read();
  const int64_t now = std::time(nullptr);
  size_t rows = 0;
  store::forEachRecord<store::pb::Subscriber>(
      txn, store::Table::Subscribers, "", [&](std::string_view, store::pb::Subscriber& s) {
        if (s.username().size() > 100) {
          EXPECT_FALSE(m.count(kSubEntry + ".2" + strIndex(s.username())));
          return true;
        }
        ++rows;
        const std::string idx = strIndex(s.username());
        const auto day = store::getUsage(txn, s.username(), "d" + store::dayPeriod(now));
        const auto month = store::getUsage(txn, s.username(), "m" + store::monthPeriod(now));
        EXPECT_EQ(m[kSubEntry + ".2" + idx], std::to_string(s.status())) << s.username();
        EXPECT_EQ(m[kSubEntry + ".3" + idx], s.plan());
        EXPECT_EQ(m[kSubEntry + ".4" + idx],
                  std::to_string(store::countLiveSessionsOf(txn, s.username())));
        EXPECT_EQ(m[kSubEntry + ".5" + idx], std::to_string(day.output_octets()));
        EXPECT_EQ(m[kSubEntry + ".6" + idx], std::to_string(day.input_octets()));
        EXPECT_EQ(m[kSubEntry + ".7" + idx], std::to_string(month.output_octets()));
        EXPECT_EQ(m[kSubEntry + ".8" + idx], std::to_string(month.input_octets()));
        EXPECT_EQ(m[kSubEntry + ".9" + idx], s.external_id());
        return true;
      });
  EXPECT_EQ(m.size(), rows * 8) << w.out;
  // Spot checks that do not depend on the store's reading code.
  EXPECT_EQ(m[kSubEntry + ".4" + strIndex("bob")], "2");
  EXPECT_EQ(m[kSubEntry + ".7" + strIndex("bob")], "9000000");

  // snmpwalk (GETNEXT) sees the same objects as the bulk walk.
  auto w2 = peers_->tool("snmpwalk", "-On -Oq", kSubEntry);
  ASSERT_EQ(w2.status, 0) << w2.out;
  EXPECT_EQ(parseWalk(w2.out), m);

  // snmpget of one Counter64 by its full OID, typed.
  auto g = peers_->tool("snmpget", "-On", kSubEntry + ".7" + strIndex("alice"));
  EXPECT_NE(g.out.find("Counter64: 2000000"), std::string::npos) << g.out;
}

TEST_F(AgentxTest, SnmptableWithTheMibShowsNasAndSessions) {
  auto t = peers_->tool("snmptable", "-Cf , -Ci -CH -Oe", "ISPBOX-MIB::ispboxNasTable", true);
  ASSERT_EQ(t.status, 0) << t.out;
  // index,address,vendor,description,sessions,state
  EXPECT_NE(t.out.find("\"pop1-ccr\",10.0.0.1,mikrotik,POP pop1-ccr,2,1"), std::string::npos)
      << t.out;
  EXPECT_NE(t.out.find("\"pop2-ccr\",10.0.0.2,mikrotik,POP pop2-ccr,1,1"), std::string::npos)
      << t.out;

  auto s = peers_->tool("snmptable", "-Cf , -Ci -CH -OU", "ISPBOX-MIB::ispboxSessionTable", true);
  ASSERT_EQ(s.status, 0) << s.out;
  auto txn = env_->read();
  size_t live = 0;
  store::forEachLiveSession(txn, "", [&](std::string_view, store::pb::Session& ss) {
    ++live;
    // The username is an OCTET STRING (RADIUS octets), so snmptable quotes it.
    const std::string row = ",\"" + ss.username() + "\"," + ss.framed_ip() + "," +
                            ss.calling_station_id() + "," + std::to_string(ss.session_time()) +
                            "," + std::to_string(ss.input_octets()) + "," +
                            std::to_string(ss.output_octets());
    EXPECT_NE(s.out.find(row), std::string::npos) << row << "\n" << s.out;
    return true;
  });
  EXPECT_EQ(live, 3u);
}

// The OLT, PON and ONU tables, walked over SNMPv3 and compared with the store's records (what the
// admin API's /api/v1/olts/... shows), then with the MIB loaded.
TEST_F(AgentxTest, OltPonAndOnuTablesMatchTheStore) {
  std::map<std::string, std::string> want;
  {
    auto txn = env_->read();
    store::forEachRecord<store::pb::Olt>(
        txn, store::Table::Olts, "", [&](std::string_view, store::pb::Olt& o) {
          const auto st = *store::getOltStatus(txn, o.id());
          const std::string oi = "." + std::to_string(o.snmp_index());
          uint64_t pons = 0, onus = 0, online = 0;
          std::map<uint32_t, std::pair<uint64_t, uint64_t>> per_pon;
          store::forEachOnu(txn, o.id(), 0, 0, "", [&](std::string_view, const store::pb::Onu& u) {
            const uint32_t pi = zteIfIndex(u.slot(), u.port());
            const std::string i = oi + "." + std::to_string(pi) + "." + std::to_string(u.onu_id());
            ++onus;
            online += u.online();
            ++per_pon[pi].first;
            per_pon[pi].second += u.online();
            want[kOnuEntry + ".2" + i] = u.serial();
            want[kOnuEntry + ".3" + i] = u.online()                  ? "2"
                                         : u.phase() == "los"        ? "4"
                                         : u.phase() == "dying_gasp" ? "5"
                                                                     : "3";
            want[kOnuEntry + ".4" + i] = hundredths(u.has_rx_dbm(), u.rx_dbm());
            want[kOnuEntry + ".5" + i] = hundredths(u.has_tx_dbm(), u.tx_dbm());
            want[kOnuEntry + ".6" + i] = hundredths(u.has_olt_rx_dbm(), u.olt_rx_dbm());
            want[kOnuEntry + ".7" + i] = std::to_string(u.has_distance_m() ? u.distance_m() : 0);
            want[kOnuEntry + ".8" + i] = u.subscriber();
            return true;
          });
          store::forEachPon(txn, o.id(), [&](const store::pb::PonPort& p) {
            ++pons;
            const uint32_t pi = zteIfIndex(p.slot(), p.port());
            const std::string i = oi + "." + std::to_string(pi);
            want[kPonEntry + ".2" + i] = p.name();
            want[kPonEntry + ".3" + i] = p.oper_up() ? "2" : "3";
            want[kPonEntry + ".4" + i] = std::to_string(per_pon[pi].first);
            want[kPonEntry + ".5" + i] = std::to_string(per_pon[pi].second);
            return true;
          });
          want[kOltEntry + ".2" + oi] = o.id();
          want[kOltEntry + ".3" + oi] = o.address();
          want[kOltEntry + ".4" + oi] = st.vendor();
          want[kOltEntry + ".5" + oi] = st.model();
          want[kOltEntry + ".6" + oi] = st.reachable() ? "2" : "3";
          want[kOltEntry + ".7" + oi] = std::to_string(pons);
          want[kOltEntry + ".8" + oi] = std::to_string(onus);
          want[kOltEntry + ".9" + oi] = std::to_string(online);
          return true;
        });
  }
  ASSERT_EQ(want.size(), 2 * 8 + 3 * 4 + 5 * 7u);
  std::map<std::string, std::string> got;
  for (const std::string& table : {kOltEntry, kPonEntry, kOnuEntry}) {
    auto w = peers_->tool("snmpbulkwalk", "-On -Oq -Cr20", table);
    ASSERT_EQ(w.status, 0) << w.out;
    got.merge(parseWalk(w.out));
  }
  EXPECT_EQ(got, want);
  // Spot checks that do not depend on the store's reading code: alice's ONU on OLT 1, port
  // 1/1/1 (ZTE-AN ifIndex 285278465), ONU 1.
  const std::string alice_onu = ".1.285278465.1";
  EXPECT_EQ(got[kOnuEntry + ".4" + alice_onu], "-1987");
  EXPECT_EQ(got[kOnuEntry + ".6" + alice_onu], "-2237");
  EXPECT_EQ(got[kOnuEntry + ".8" + alice_onu], "alice");
  EXPECT_EQ(got[kOnuEntry + ".4.1.285278466.1"], "-2147483648"); // LOS: no reading

  // With the MIB: the DISPLAY-HINT renders hundredths as dBm, enumerations by name.
  auto t = peers_->tool("snmptable", "-Cf , -Ci -CH -OU", "ISPBOX-MIB::ispboxOnuTable", true);
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("1.285278465.1,ZTEGC0FFEE01,online,-19.87,2.34,-22.37,1510,alice"),
            std::string::npos)
      << t.out;
  EXPECT_NE(t.out.find("2.285278736.128,ZTEGC0FFEE05,online,-8.25"), std::string::npos) << t.out;
  auto o = peers_->tool("snmptable", "-Cf , -Ci -CH -OU", "ISPBOX-MIB::ispboxOltTable", true);
  ASSERT_EQ(o.status, 0) << o.out;
  EXPECT_NE(o.out.find("1,olt-north,192.0.2.21,zte,C320,reachable,2,4,2"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("2,olt-south,192.0.2.22,zte,C320,unreachable,1,1,1"), std::string::npos)
      << o.out;
}

// The device notifications, from changes in the store as ispboxd's OLT poller and NAS probe
// write them, received by snmptrapd; none for what was already down at start, none repeated.
TEST_F(AgentxTest, DeviceNotificationsReachSnmptrapd) {
  const std::string north = ".1", port1 = ".285278465";
  pollOnu("olt-north", 1, 1, 2, [](store::pb::Onu& u) {
    u.set_phase("los");
    u.set_online(false);
  });
  auto los = peers_->waitForTrap({kSnmpTrapOid + kRoot + ".0.2",
                                  kOnuEntry + ".3" + north + port1 + ".2 = INTEGER: 4",
                                  "\"ZTEGC0FFEE02\""},
                                 15s);
  EXPECT_TRUE(los.has_value()) << "no ispboxOnuLos";

  pollOnu("olt-north", 1, 1, 1, [](store::pb::Onu& u) { u.set_rx_dbm(-29.5); });
  auto rx = peers_->waitForTrap({kSnmpTrapOid + kRoot + ".0.4",
                                 kOnuEntry + ".4" + north + port1 + ".1 = INTEGER: -2950",
                                 kRoot + ".1.8.5.0 = INTEGER: -2800", "\"alice\""},
                                15s);
  EXPECT_TRUE(rx.has_value()) << "no ispboxOnuRxOutOfRange";

  pollOnu("olt-south", 2, 16, 128, [](store::pb::Onu& u) {
    u.set_phase("dying_gasp");
    u.set_online(false);
  });
  auto gasp = peers_->waitForTrap(
      {kSnmpTrapOid + kRoot + ".0.3", kOnuEntry + ".3.2.285278736.128 = INTEGER: 5"}, 15s);
  EXPECT_TRUE(gasp.has_value()) << "no ispboxOnuDyingGasp";

  write([&](store::WriteTxn& txn) {
    auto st = *store::getOltStatus(txn, "olt-north");
    st.set_reachable(false);
    st.set_last_error("timeout");
    store::putOltStatus(txn, st);
  });
  auto olt = peers_->waitForTrap({kSnmpTrapOid + kRoot + ".0.5",
                                  kOltEntry + ".6" + north + " = INTEGER: 3", "\"olt-north\"",
                                  "\"192.0.2.21\""},
                                 15s);
  EXPECT_TRUE(olt.has_value()) << "no ispboxOltUnreachable";

  // NAS down, as ispboxd's NAS probe records it.
  write([&](store::WriteTxn& txn) {
    store::pb::NasStatus ns;
    ns.set_name("pop1-ccr");
    ns.set_state(store::pb::NAS_UNREACHABLE);
    store::putNasStatus(txn, ns);
  });
  auto nas = peers_->waitForTrap({kSnmpTrapOid + kRoot + ".0.6",
                                  kNasEntry + ".6" + strIndex("pop1-ccr") + " = INTEGER: 3",
                                  "\"10.0.0.1\""},
                                 15s);
  EXPECT_TRUE(nas.has_value()) << "no ispboxNasUnreachable";
  EXPECT_EQ(get(kNasEntry + ".6" + strIndex("pop1-ccr")), "3");
  EXPECT_EQ(get(kNasEntry + ".6" + strIndex("pop2-ccr")), "1"); // never probed

  // Another poll of the same unreachable OLT, and another of the same LOS: nothing new.
  write([&](store::WriteTxn& txn) {
    auto st = *store::getOltStatus(txn, "olt-north");
    st.set_last_error_at(st.last_error_at() + 60);
    store::putOltStatus(txn, st);
  });
  pollOnu("olt-north", 1, 1, 2, [](store::pb::Onu& u) { u.set_updated_at(u.updated_at() + 1); });
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".16.0").has_value(); }, 5s));
  std::this_thread::sleep_for(1s); // several refreshes
  EXPECT_EQ(countInTrapLog("OID: " + kRoot + ".0.5"), 1u);
  EXPECT_EQ(countInTrapLog("OID: " + kRoot + ".0.2"), 1u)
      << "the ONU already in LOS at start must not raise one either";
  // Both OLTs, the NAS, both LOS, the dying gasp, the offline ONU, the Rx out of range.
  EXPECT_EQ(get(kSummary + ".16.0"), "8");
}

TEST_F(AgentxTest, FollowsStoreChanges) {
  const std::string plan_oid = kSubEntry + ".3" + strIndex("alice");
  write([&](store::WriteTxn& txn) {
    auto s = *store::getSubscriber(txn, "alice");
    s.set_plan("pro-50m");
    store::putSubscriber(txn, s, store::WriteMode::Replace);
  });
  EXPECT_TRUE(waitFor([&] { return get(plan_oid) == "pro-50m"; }, 10s));

  write([&](store::WriteTxn& txn) { store::deleteSubscriber(txn, "erin"); });
  EXPECT_TRUE(waitFor([&] { return !get(kSubEntry + ".2" + strIndex("erin")); }, 10s));
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".1.0") == "4"; }, 10s));

  // A session closed by accounting leaves the session table and the counts.
  write([&](store::WriteTxn& txn) {
    store::closeSession(txn, store::sessionKey("10.0.0.2", "0x8100beef"), "User-Request",
                        std::time(nullptr));
  });
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".6.0") == "2"; }, 10s));
  EXPECT_EQ(get(kSubEntry + ".4" + strIndex("bob")), "1");
  EXPECT_FALSE(get(kSessEntry + ".3" + strIndex("10.0.0.2") + strIndex("0x8100beef")));
  EXPECT_EQ(get(kNasEntry + ".5" + strIndex("pop2-ccr")), "0");
}

TEST_F(AgentxTest, NotificationsReachSnmptrapd) {
  // alice: active -> suspended. The notification carries the row's objects.
  write([&](store::WriteTxn& txn) {
    auto s = *store::getSubscriber(txn, "alice");
    s.set_status(store::pb::SUSPENDED);
    store::putSubscriber(txn, s, store::WriteMode::Replace);
  });
  auto trap = peers_->waitForTrap({".1.3.6.1.6.3.1.1.4.1.0 = OID: " + kRoot + ".0.8",
                                   kSubEntry + ".2" + strIndex("alice") + " = INTEGER: 2",
                                   "\"basic-10m\"", "\"C-1001\""},
                                  15s);
  EXPECT_TRUE(trap.has_value()) << "no ispboxSubscriberIsolated for alice";
  // Suspended again (an unrelated edit) is not a new isolation.
  write([&](store::WriteTxn& txn) {
    auto s = *store::getSubscriber(txn, "alice");
    s.set_comment("still unpaid");
    store::putSubscriber(txn, s, store::WriteMode::Replace);
  });

  // alice's usage crosses the plan's 5 MB data cap.
  write([&](store::WriteTxn& txn) {
    store::addUsage(txn, "alice", std::time(nullptr), 1000000, 2500000, 60);
  });
  auto cap = peers_->waitForTrap({"OID: " + kRoot + ".0.7", "\"subscriber-data-cap\"", "\"alice\"",
                                  "Counter64: 5600000", "Counter64: 5000000"},
                                 15s);
  EXPECT_TRUE(cap.has_value()) << "no ispboxThresholdExceeded for alice";
  // The data cap, beside the OLT data's three (olt-south unreachable, an ONU offline, one in LOS).
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".16.0") == "4"; }, 5s));

  std::ifstream log(tmp_.path() / "snmp" / "snmptrapd.log");
  std::string all((std::istreambuf_iterator<char>(log)), {});
  size_t isolated = 0;
  for (size_t p = 0; (p = all.find("OID: " + kRoot + ".0.8", p)) != std::string::npos; ++p)
    ++isolated;
  EXPECT_EQ(isolated, 1u) << all;
}

TEST_F(AgentxTest, ReconnectsWhenSnmpdRestarts) {
  ASSERT_EQ(get(kSummary + ".1.0"), "5");
  peers_->stopSnmpd();
  std::this_thread::sleep_for(1500ms); // at least one failed ping
  peers_->startSnmpd();
  // snmpd answers for itself at once; ISPBOX-MIB comes back when the subagent re-registers.
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".1.0") == "5"; }, 20s))
      << "the subagent did not come back; log: " << (tmp_.path() / "agentx.log");
  // And it still follows the store.
  write([&](store::WriteTxn& txn) { store::deleteSubscriber(txn, "erin"); });
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".1.0") == "4"; }, 10s));

  // snmpd killed outright (no goodbye on the AgentX session), then started again.
  peers_->stopSnmpd(true);
  std::this_thread::sleep_for(1500ms);
  peers_->startSnmpd();
  EXPECT_TRUE(waitFor([&] { return get(kSummary + ".1.0") == "4"; }, 20s))
      << "the subagent did not come back after SIGKILL; log: " << (tmp_.path() / "agentx.log");
}

// ispboxd's NAS probe and the subagent together: a NAS whose RouterOS API port answers (a
// listener of this test), then one whose port never answers (ICMP is off in this ispboxd, so
// the test does not depend on the machine's network): ispboxNasState follows, and
// ispboxNasUnreachable reaches snmptrapd.
TEST(AgentxWithIspboxd, NasProbeDrivesNasStateAndItsNotification) {
  testutil::TempDir tmp;
  const auto state = tmp.path() / "state";
  testutil::TcpListener answering, silent(true);
  store::EnvOptions eo;
  eo.dir = state;
  auto env = store::Env::open(eo);
  auto putEdge = [&](const std::string& ip, int api_port, const std::string& api_host) {
    auto txn = env->write();
    store::pb::Nas n;
    n.set_name("edge");
    n.set_ip(ip);
    n.set_secret("s");
    n.set_vendor("mikrotik");
    n.mutable_routeros()->set_username("api");
    n.mutable_routeros()->set_port(static_cast<uint32_t>(api_port));
    n.mutable_routeros()->set_host(api_host);
    const bool exists = store::getNas(txn, "edge").has_value();
    store::putNas(txn, n, exists ? store::WriteMode::Replace : store::WriteMode::Create);
    txn.commit();
  };
  putEdge("127.0.0.1", answering.port(), "");
  const auto conf = tmp.path() / "ispboxd.toml";
  std::ofstream(conf) << "[state]\ndir = \"" << state.string() << "\"\n[api]\nport = 0\n"
                      << "[olt]\nenabled = false\n[coa]\nenabled = false\n"
                      << "[nas_probe]\ninterval_s = 1\ntimeout_ms = 300\nfailures = 2\n"
                      << "icmp = false\n";
  SnmpPeers peers(tmp.path() / "snmp");
  Process ispboxd({ISPBOXD_PATH, "-c", conf.string()}, (tmp.path() / "ispboxd.log").string());
  Process agent({ISPBOX_AGENTX_PATH, "--state-dir", state.string(), "--agentx-socket",
                 peers.agentxSocket(), "--refresh-ms", "200"},
                (tmp.path() / "agentx.log").string());
  const std::string edge_state = kNasEntry + ".6" + strIndex("edge");
  auto nasState = [&] {
    auto r = peers.tool("snmpget", "-On -Oqv -r1 -t2", edge_state);
    return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : std::string();
  };
  bool ok = false;
  for (int i = 0; i < 200 && !ok; ++i, std::this_thread::sleep_for(100ms))
    ok = nasState() == "2";
  ASSERT_TRUE(ok) << "edge never became reachable; logs in " << tmp.path();

  // As PATCH /api/v1/nas/edge would: a new address, its API behind a port that never answers.
  putEdge("203.0.113.5", silent.port(), "127.0.0.1");
  auto trap = peers.waitForTrap(
      {kSnmpTrapOid + kRoot + ".0.6", edge_state + " = INTEGER: 3", "\"203.0.113.5\""}, 30s);
  EXPECT_TRUE(trap.has_value()) << "no ispboxNasUnreachable; logs in " << tmp.path();
  EXPECT_EQ(nasState(), "3");
  {
    auto txn = env->read();
    auto st = store::getNasStatus(txn, "edge");
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state(), store::pb::NAS_UNREACHABLE);
    EXPECT_GE(st->failures(), 2u);
  }
  agent.kill(SIGTERM);
  ispboxd.kill(SIGTERM);
  EXPECT_TRUE(agent.wait(10s).has_value());
  EXPECT_TRUE(ispboxd.wait(10s).has_value());
}

TEST(AgentxStartup, WaitsForTheStoreAndRejectsBadArguments) {
  testutil::TempDir tmp;
  SnmpPeers peers(tmp.path() / "snmp", false);
  const auto state = tmp.path() / "state";
  Process agent({ISPBOX_AGENTX_PATH, "--state-dir", state.string(), "--agentx-socket",
                 peers.agentxSocket(), "--refresh-ms", "200"},
                (tmp.path() / "agentx.log").string());
  auto total = [&] {
    auto r = peers.tool("snmpget", "-On -Oqv -r1 -t2", kSummary + ".1.0");
    return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : std::string();
  };
  // No store yet: served, empty.
  bool ok = false;
  for (int i = 0; i < 100 && !ok; ++i, std::this_thread::sleep_for(100ms))
    ok = total() == "0";
  ASSERT_TRUE(ok);
  {
    store::EnvOptions o;
    o.dir = state;
    auto env = store::Env::open(o);
    auto txn = env->write();
    store::pb::Plan p;
    p.set_name("p");
    store::putPlan(txn, p, store::WriteMode::Create);
    store::pb::Subscriber s;
    s.set_username("late");
    s.set_plan("p");
    s.set_status(store::pb::ACTIVE);
    store::putSubscriber(txn, s, store::WriteMode::Create);
    txn.commit();
  }
  ok = false;
  for (int i = 0; i < 100 && !ok; ++i, std::this_thread::sleep_for(100ms))
    ok = total() == "1";
  EXPECT_TRUE(ok) << "the store created after start was never picked up";
  agent.kill(SIGTERM);
  EXPECT_TRUE(agent.wait(10s).has_value());

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{ISPBOX_AGENTX_PATH},
        {ISPBOX_AGENTX_PATH, "--state-dir", state.string(), "--refresh-ms", "fast"},
        {ISPBOX_AGENTX_PATH, "--state-dir", state.string(), "--bogus"}}) {
    Process p(bad, (tmp.path() / "bad.log").string());
    auto st = p.wait(10s);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 64) << bad.back(); // EX_USAGE
  }
}

// scripts/snmpd-config.sh, which run.sh (and the image) use: SNMPv3 authPriv works with the
// generated credentials, SNMPv2c gets nothing, and the credentials survive a second run.
TEST(SnmpdConfig, GeneratedConfigurationServesSnmpv3Only) {
  testutil::TempDir tmp;
  const auto out = tmp.path() / "snmp", creds = tmp.path() / "state" / "snmp-credentials";
  std::filesystem::create_directories(creds.parent_path());
  const int port = testutil::freeUdpPort();
  const std::string gen = std::string(ISPBOX_SOURCE_DIR) + "/scripts/snmpd-config.sh " +
                          out.string() + " " + creds.string() +
                          " udp:127.0.0.1:" + std::to_string(port);
  auto r = testutil::runCommand(gen);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(std::filesystem::status(creds).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto read = [](const std::filesystem::path& p) {
    std::ifstream f(p);
    return std::string((std::istreambuf_iterator<char>(f)), {});
  };
  const std::string first = read(creds);
  ASSERT_EQ(testutil::runCommand(gen).status, 0);
  EXPECT_EQ(read(creds), first) << "credentials must be generated once and then reused";
  std::map<std::string, std::string> kv;
  std::istringstream in(first);
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos && line[0] != '#')
      kv[line.substr(0, eq)] = line.substr(eq + 1);
  ASSERT_EQ(kv["ISPBOX_SNMP_AUTH_PASS"].size(), 24u);
  const std::string conf = read(out / "snmpd.conf");
  EXPECT_FALSE(std::regex_search(conf, std::regex("(^|\\n)(ro|rw)community|com2sec"))) << conf;

  Process snmpd({"/usr/sbin/snmpd", "-f", "-I", "-smux", "-C", "-c", (out / "snmpd.conf").string(),
                 "-Lf", (tmp.path() / "snmpd.log").string()},
                "", {"SNMP_PERSISTENT_DIR=" + (out / "persist").string(), "MIBS="});
  Process agent({ISPBOX_AGENTX_PATH, "--state-dir", (tmp.path() / "state").string(),
                 "--agentx-socket", "unix:" + (out / "agentx.sock").string()},
                (tmp.path() / "agentx.log").string());
  const std::string env = "SNMP_PERSISTENT_DIR=" + tmp.path().string() +
                          " SNMPCONFPATH=" + tmp.path().string() + " MIBS= ";
  const std::string v3 = env + "snmpget -On -Oqv -r0 -t1 -v3 -l authPriv -u " +
                         kv["ISPBOX_SNMP_USER"] + " -a " + kv["ISPBOX_SNMP_AUTH_PROTO"] + " -A " +
                         kv["ISPBOX_SNMP_AUTH_PASS"] + " -x " + kv["ISPBOX_SNMP_PRIV_PROTO"] +
                         " -X " + kv["ISPBOX_SNMP_PRIV_PASS"] +
                         " 127.0.0.1:" + std::to_string(port) + " " + kSummary + ".1.0";
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i, std::this_thread::sleep_for(200ms)) {
    auto g = testutil::runCommand(v3);
    ok = g.status == 0 && g.out == "0\n";
  }
  EXPECT_TRUE(ok) << "SNMPv3 with the generated user did not reach ISPBOX-MIB";
  auto v2 = testutil::runCommand(env + "snmpget -On -r0 -t1 -v2c -c public 127.0.0.1:" +
                                 std::to_string(port) + " .1.3.6.1.2.1.1.3.0");
  EXPECT_NE(v2.status, 0) << "SNMPv2c must be off: " << v2.out;
  agent.kill(SIGTERM);
  snmpd.kill(SIGTERM);
  EXPECT_TRUE(agent.wait(10s).has_value());
  EXPECT_TRUE(snmpd.wait(10s).has_value());
}

} // namespace
} // namespace ispbox
