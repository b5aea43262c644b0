// SPDX-License-Identifier: GPL-2.0-or-later
#include "drivers/routeros/operations.h"

#include <cstdio>
#include <memory>

namespace ispbox::routeros {

namespace props {
const std::vector<std::string> kPppActive = {".id",     "name",   "service",    "caller-id",
                                             "address", "uptime", "session-id", "encoding"};
const std::vector<std::string> kHotspotActive = {".id",    "user",     "address",   "mac-address",
                                                 "uptime", "bytes-in", "bytes-out", "server"};
const std::vector<std::string> kInterface = {".id",       "name",    "type",    "running",
                                             "disabled",  "rx-byte", "tx-byte", "rx-packet",
                                             "tx-packet", "mtu",     "comment"};
const std::vector<std::string> kSimpleQueue = {".id",  "name",     "target",  "max-limit",
                                               "rate", "disabled", "dynamic", "comment"};
const std::vector<std::string> kAddressList = {".id", "list", "address", "comment", "dynamic"};
const std::vector<std::string> kResource = {"cpu-load",  "free-memory",      "total-memory",
                                            "uptime",    "version",          "board-name",
                                            "cpu-count", "architecture-name"};
} // namespace props

Command pppActivePrint() {
  return Command("/ppp/active/print").props(props::kPppActive);
}
Command hotspotActivePrint() {
  return Command("/ip/hotspot/active/print").props(props::kHotspotActive);
}
Command interfacePrint() {
  return Command("/interface/print").props(props::kInterface);
}
Command simpleQueuePrint() {
  return Command("/queue/simple/print").props(props::kSimpleQueue);
}
Command resourcePrint() {
  return Command("/system/resource/print").props(props::kResource);
}

namespace {

// Removes the rows of `menu` matching (name_col == username [, address]) one by one.
void removeMatching(Client& client, const std::string& menu, const std::string& name_col,
                    const SessionTarget& t, CountHandler handler) {
  Command print(menu + "/print");
  print.props({".id", name_col, "address"}).query(name_col, t.username);
  auto self = client.shared_from_this();
  client.call(std::move(print), [self, menu, t, handler = std::move(handler)](Result r) mutable {
    if (r.error) return handler(r.error, 0);
    std::vector<std::string> ids;
    for (const auto& row : r.rows) {
      auto id = row.find(".id");
      if (id == row.end()) continue;
      auto addr = row.find("address");
      if (!t.address.empty() && (addr == row.end() || addr->second != t.address)) continue;
      ids.push_back(id->second);
    }
    if (ids.empty()) return handler(Error{}, 0);
    struct State {
      size_t left, removed = 0;
      Error first;
      CountHandler handler;
    };
    auto st = std::make_shared<State>(State{ids.size(), 0, {}, std::move(handler)});
    for (const auto& id : ids) {
      self->call(Command(menu + "/remove").arg(".id", id), [st](Result rr) {
        if (rr.error) {
          // Gone meanwhile (the subscriber hung up): the goal is reached all the same.
          if (!(rr.error.code == ErrorCode::Trap &&
                rr.error.message.find("no such item") != std::string::npos) &&
              !st->first)
            st->first = rr.error;
        } else {
          ++st->removed;
        }
        if (--st->left == 0) st->handler(st->first, st->removed);
      });
    }
  });
}

} // namespace

void removeSession(Client& client, const SessionTarget& target, CountHandler handler) {
  if (target.kind == SessionKind::Ppp)
    return removeMatching(client, "/ppp/active", "name", target, std::move(handler));
  if (target.kind == SessionKind::Hotspot)
    return removeMatching(client, "/ip/hotspot/active", "user", target, std::move(handler));
  auto self = client.shared_from_this();
  removeMatching(client, "/ppp/active", "name", target,
                 [self, target, handler = std::move(handler)](const Error& e, size_t n) {
                   if (e) return handler(e, n);
                   removeMatching(*self, "/ip/hotspot/active", "user", target,
                                  [handler, n](const Error& e2, size_t m) { handler(e2, n + m); });
                 });
}

void setQueueMaxLimit(Client& client, const std::string& queue, const std::string& target,
                      const std::string& max_limit, DoneHandler handler) {
  auto self = client.shared_from_this();
  Command print("/queue/simple/print");
  print.props({".id", "name", "max-limit"}).query("name", queue);
  client.call(std::move(print),
              [self, queue, target, max_limit, handler = std::move(handler)](Result r) mutable {
                if (r.error) return handler(r.error);
                auto done = [handler](Result rr) { handler(rr.error); };
                if (r.rows.empty() || !r.rows.front().count(".id")) {
                  self->call(Command("/queue/simple/add")
                                 .arg("name", queue)
                                 .arg("target", target)
                                 .arg("max-limit", max_limit),
                             done);
                  return;
                }
                auto cur = r.rows.front().find("max-limit");
                if (cur != r.rows.front().end() && cur->second == max_limit)
                  return handler(Error{});
                self->call(Command("/queue/simple/set")
                               .arg(".id", r.rows.front().at(".id"))
                               .arg("max-limit", max_limit),
                           done);
              });
}

void addressListAdd(Client& client, const std::string& list, const std::string& address,
                    const std::string& comment, DoneHandler handler) {
  auto self = client.shared_from_this();
  Command print("/ip/firewall/address-list/print");
  print.props({".id", "list", "address"}).query("list", list).query("address", address);
  client.call(std::move(print),
              [self, list, address, comment, handler = std::move(handler)](Result r) mutable {
                if (r.error) return handler(r.error);
                if (!r.rows.empty()) return handler(Error{});
                Command add("/ip/firewall/address-list/add");
                add.arg("list", list).arg("address", address);
                if (!comment.empty()) add.arg("comment", comment);
                self->call(std::move(add), [handler](Result rr) { handler(rr.error); });
              });
}

void addressListRemove(Client& client, const std::string& list, const std::string& address,
                       DoneHandler handler) {
  auto self = client.shared_from_this();
  Command print("/ip/firewall/address-list/print");
  print.props({".id", "list", "address"}).query("list", list).query("address", address);
  client.call(std::move(print), [self, handler = std::move(handler)](Result r) mutable {
    if (r.error) return handler(r.error);
    if (r.rows.empty()) return handler(Error{});
    auto left = std::make_shared<size_t>(r.rows.size());
    auto first = std::make_shared<Error>();
    for (const auto& row : r.rows) {
      self->call(Command("/ip/firewall/address-list/remove").arg(".id", row.at(".id")),
                 [left, first, handler](Result rr) {
                   if (rr.error && !*first) *first = rr.error;
                   if (--*left == 0) handler(*first);
                 });
    }
  });
}

bool parseRate(const std::string& text, uint64_t* bps) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return false;
  double mult = 1;
  std::string suffix(end);
  if (suffix == "k" || suffix == "K")
    mult = 1e3;
  else if (suffix == "M")
    mult = 1e6;
  else if (suffix == "G")
    mult = 1e9;
  else if (!suffix.empty())
    return false;
  *bps = static_cast<uint64_t>(v * mult);
  return true;
}

std::string formatRateForRouter(uint64_t upload_bps, uint64_t download_bps) {
  // Plain numbers: exact, and what RouterOS itself prints for values that are no multiple of k.
  return std::to_string(upload_bps) + "/" + std::to_string(download_bps);
}

std::string humanRate(double bps) {
  const char* units[] = {"bps", "kbps", "Mbps", "Gbps", "Tbps"};
  int u = 0;
  while (bps >= 1000 && u < 4) {
    bps /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bps, units[u]);
  return buf;
}

} // namespace ispbox::routeros
