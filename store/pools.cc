// SPDX-License-Identifier: GPL-2.0-or-later
#include "store/pools.h"

#include <arpa/inet.h>

namespace ispbox::store {
namespace {

std::string leaseKey(std::string_view pool, uint32_t ip) {
  std::string k(pool);
  k.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8)
    k.push_back(static_cast<char>((ip >> shift) & 0xff));
  return k;
}

bool leaseIsLive(const pb::Lease& l, int64_t now) {
  return l.state() == pb::LEASE_ACTIVE || (l.state() == pb::LEASE_OFFERED && l.expires_at() > now);
}

void writeLease(WriteTxn& txn, std::string_view pool, uint32_t ip, const pb::Lease& l) {
  txn.put(Table::Leases, leaseKey(pool, ip), encode(l));
}

} // namespace

std::optional<uint32_t> parseIpv4(std::string_view text) {
  if (text.size() > 15) return std::nullopt;
  std::string s(text);
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string formatIpv4(uint32_t addr) {
  in_addr a{htonl(addr)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::optional<pb::Pool> getPool(const ReadTxn& txn, std::string_view name) {
  auto v = txn.get(Table::Pools, name);
  if (!v) return std::nullopt;
  return decode<pb::Pool>(*v, "pool");
}

void putPool(WriteTxn& txn, const pb::Pool& pool) {
  // An address in two pools could be leased twice: ranges may not overlap across pools.
  std::vector<std::pair<uint32_t, uint32_t>> mine;
  for (const auto& r : pool.ranges()) {
    auto a = parseIpv4(r.first()), b = parseIpv4(r.last());
    if (!a || !b || *b < *a)
      throw StoreError(StoreError::Code::Conflict, "pool " + pool.name() + ": bad range");
    mine.emplace_back(*a, *b);
  }
  Cursor cur(txn, Table::Pools);
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    if (cur.key() == pool.name()) continue;
    auto other = decode<pb::Pool>(cur.value(), "pool");
    for (const auto& r : other.ranges()) {
      auto a = parseIpv4(r.first()), b = parseIpv4(r.last());
      if (!a || !b) continue;
      for (const auto& [x, y] : mine)
        if (x <= *b && *a <= y)
          throw StoreError(StoreError::Code::Conflict, "pool " + pool.name() + " overlaps pool " +
                                                           other.name() + " (" + r.first() + "-" +
                                                           r.last() + ")");
    }
  }
  txn.put(Table::Pools, pool.name(), encode(pool));
}

uint64_t poolSize(const pb::Pool& pool) {
  uint64_t n = 0;
  for (const auto& r : pool.ranges()) {
    auto a = parseIpv4(r.first()), b = parseIpv4(r.last());
    if (a && b && *b >= *a) n += uint64_t{*b} - *a + 1;
  }
  return n;
}

bool deletePool(WriteTxn& txn, std::string_view name, int64_t now) {
  if (!txn.get(Table::Pools, name)) return false;
  const std::string prefix = std::string(name) + '\0';
  std::vector<std::string> keys;
  {
    Cursor cur(txn, Table::Leases);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
      auto l = decode<pb::Lease>(cur.value(), "lease");
      if (leaseIsLive(l, now))
        throw StoreError(StoreError::Code::Conflict, "pool " + std::string(name) +
                                                         " has a live lease: " + l.ip() + " (" +
                                                         l.username() + ")");
      keys.emplace_back(cur.key());
    }
  }
  for (const auto& k : keys) {
    auto l = decode<pb::Lease>(*txn.get(Table::Leases, k), "lease");
    txn.erase(Table::LeasesByUser, joinKey(l.username(), name));
    txn.erase(Table::Leases, k);
  }
  txn.erase(Table::Pools, name);
  return true;
}

std::optional<std::string> allocateLease(WriteTxn& txn, std::string_view pool_name,
                                         std::string_view username, int64_t now,
                                         int64_t offer_ttl_s) {
  auto pool = getPool(txn, pool_name);
  if (!pool) return std::nullopt;
  auto take = [&](uint32_t ip) {
    pb::Lease l;
    l.set_pool(std::string(pool_name));
    l.set_ip(formatIpv4(ip));
    l.set_username(std::string(username));
    l.set_state(pb::LEASE_OFFERED);
    l.set_updated_at(now);
    l.set_expires_at(now + offer_ttl_s);
    writeLease(txn, pool_name, ip, l);
    txn.put(Table::LeasesByUser, joinKey(username, pool_name), l.ip());
    return l.ip();
  };

  // Sticky: the subscriber's previous address, if nobody else holds it live.
  if (auto prev = txn.get(Table::LeasesByUser, joinKey(username, pool_name))) {
    if (auto ip = parseIpv4(*prev)) {
      auto v = txn.get(Table::Leases, leaseKey(pool_name, *ip));
      bool in_pool = false;
      for (const auto& r : pool->ranges()) {
        auto a = parseIpv4(r.first()), b = parseIpv4(r.last());
        in_pool = in_pool || (a && b && *ip >= *a && *ip <= *b);
      }
      if (in_pool) {
        if (!v) return take(*ip);
        auto l = decode<pb::Lease>(*v, "lease");
        // Our own offered lease may be offered again (a retried Access-Request); an active one
        // belongs to a live session and a second session needs its own address.
        if (l.username() == username ? l.state() != pb::LEASE_ACTIVE : !leaseIsLive(l, now))
          return take(*ip);
      }
    }
  }
  // Lowest free address: walk each range alongside the pool's leases in key order. An address
  // whose lease is released or expired is free, but we prefer never-used ones first so that
  // released addresses stay sticky for their last owner as long as possible.
  std::optional<uint32_t> reusable;
  for (const auto& r : pool->ranges()) {
    auto a = parseIpv4(r.first()), b = parseIpv4(r.last());
    if (!a || !b || *b < *a) continue;
    Cursor cur(txn, Table::Leases);
    bool ok = cur.seek(leaseKey(pool_name, *a));
    for (uint64_t ip = *a; ip <= *b; ++ip) {
      const std::string want = leaseKey(pool_name, static_cast<uint32_t>(ip));
      while (ok && cur.key() < want)
        ok = cur.next();
      if (!ok || cur.key() != want) return take(static_cast<uint32_t>(ip)); // never leased
      if (!reusable && !leaseIsLive(decode<pb::Lease>(cur.value(), "lease"), now))
        reusable = static_cast<uint32_t>(ip);
    }
  }
  if (reusable) {
    auto old = decode<pb::Lease>(*txn.get(Table::Leases, leaseKey(pool_name, *reusable)), "lease");
    if (!old.username().empty()) txn.erase(Table::LeasesByUser, joinKey(old.username(), pool_name));
    return take(*reusable);
  }
  return std::nullopt;
}

void confirmLease(WriteTxn& txn, std::string_view pool, std::string_view ip_text,
                  std::string_view session_key, int64_t now) {
  auto ip = parseIpv4(ip_text);
  if (!ip) return;
  auto v = txn.get(Table::Leases, leaseKey(pool, *ip));
  if (!v) return;
  auto l = decode<pb::Lease>(*v, "lease");
  l.set_state(pb::LEASE_ACTIVE);
  l.set_session_key(std::string(session_key));
  l.set_updated_at(now);
  l.set_expires_at(0);
  writeLease(txn, pool, *ip, l);
}

void releaseLease(WriteTxn& txn, std::string_view pool, std::string_view ip_text, int64_t now) {
  auto ip = parseIpv4(ip_text);
  if (!ip) return;
  auto v = txn.get(Table::Leases, leaseKey(pool, *ip));
  if (!v) return;
  auto l = decode<pb::Lease>(*v, "lease");
  l.set_state(pb::LEASE_RELEASED);
  l.clear_session_key();
  l.set_updated_at(now);
  writeLease(txn, pool, *ip, l);
}

namespace {
// The (pool, ip) of each of username's leases that is still only offered.
std::vector<std::pair<std::string, std::string>> offeredLeases(const ReadTxn& txn,
                                                               std::string_view username) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string prefix = joinKey(username, "");
  Cursor cur(txn, Table::LeasesByUser);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    const std::string pool(cur.key().substr(prefix.size()));
    auto ip = parseIpv4(cur.value());
    if (!ip) continue;
    auto v = txn.get(Table::Leases, leaseKey(pool, *ip));
    if (!v) continue;
    auto l = decode<pb::Lease>(*v, "lease");
    if (l.state() == pb::LEASE_OFFERED && l.username() == username)
      out.emplace_back(pool, std::string(cur.value()));
  }
  return out;
}
} // namespace

bool hasOfferedLease(const ReadTxn& txn, std::string_view username) {
  return !offeredLeases(txn, username).empty();
}

size_t releaseOfferedLeases(WriteTxn& txn, std::string_view username, int64_t now) {
  auto offers = offeredLeases(txn, username);
  for (const auto& [pool, ip] : offers)
    releaseLease(txn, pool, ip, now);
  return offers.size();
}

std::vector<LeaseView> listLeases(const ReadTxn& txn, std::string_view pool, int64_t now) {
  std::vector<LeaseView> out;
  const std::string prefix = std::string(pool) + '\0';
  Cursor cur(txn, Table::Leases);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
    auto l = decode<pb::Lease>(cur.value(), "lease");
    const bool live = leaseIsLive(l, now);
    out.push_back({std::move(l), live});
  }
  return out;
}

} // namespace ispbox::store
