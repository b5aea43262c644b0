// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace ispbox::appliance {
namespace {

// Every key the file may hold; anything else is a typo we refuse rather than ignore.
const std::map<std::string, std::set<std::string>> kKnownKeys = {
    {"state", {"dir", "map_size_mb", "max_readers", "change_log_keep"}},
    {"api", {"listen", "port", "tls_cert", "tls_key", "threads", "max_body_bytes"}},
    {"log", {"level"}},
    {"housekeeping", {"interval_s", "stale_session_misses", "closed_session_keep_s"}},
    {"aaa", {"default_interim_s"}},
    {"coa",
     {"enabled", "source_address", "max_in_flight_per_nas", "timeout_ms", "max_timeout_ms",
      "attempts", "nak_fallback", "follow_interval_ms", "full_interval_s"}},
    {"routeros",
     {"enabled", "ca_file", "request_timeout_ms", "cache_ttl_ms", "max_in_flight", "rate_per_s",
      "max_monitors", "monitor_idle_s", "group_sample_s", "group_history_keep", "static_sync_s",
      "default_isolation_list"}},
    {"olt",
     {"enabled", "inventory_s", "state_s", "optics_s", "traffic_s", "max_inflight",
      "max_repetitions", "timeout_ms", "retries", "reload_s", "history_raw_keep_h",
      "history_keep_days"}},
    {"nas_probe",
     {"enabled", "interval_s", "timeout_ms", "failures", "accounting_window_s", "icmp", "api_port",
      "max_in_flight"}},
};

[[noreturn]] void fail(const std::string& source, const toml::source_region& where,
                       const std::string& msg) {
  std::ostringstream os;
  os << source;
  if (where.begin.line) os << ":" << where.begin.line << ":" << where.begin.column;
  os << ": " << msg;
  throw ConfigError(os.str());
}

template <class T>
T get(const toml::table& tbl, const std::string& source, const std::string& section,
      const std::string& key, T fallback) {
  const toml::node* node = tbl.get(key);
  if (!node) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node->value<std::string>()) return *v;
    fail(source, node->source(), section + "." + key + " must be a string");
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node->value<bool>()) return *v;
    fail(source, node->source(), section + "." + key + " must be true or false");
  } else {
    if (!node->is_integer())
      fail(source, node->source(), section + "." + key + " must be an integer");
    return static_cast<T>(*node->value<int64_t>());
  }
}

int64_t getInt(const toml::table& tbl, const std::string& source, const std::string& section,
               const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  const int64_t v = get<int64_t>(tbl, source, section, key, fallback);
  if (v < min || v > max) {
    const toml::node* node = tbl.get(key);
    fail(source, node ? node->source() : toml::source_region{},
         section + "." + key + " must be in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

void checkReadable(const std::string& source, const std::string& what, const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ConfigError(source + ": " + what + " " + path + " cannot be read");
}

} // namespace

Config defaultConfig() {
  Config c;
  c.state.dir = "/var/lib/ispbox";
  return c;
}

Config parseConfig(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(source, e.source(), std::string(e.description()));
  }
  for (const auto& [section, node] : root) {
    const std::string name(section.str());
    auto known = kKnownKeys.find(name);
    if (known == kKnownKeys.end()) fail(source, node.source(), "unknown section [" + name + "]");
    if (!node.is_table()) fail(source, node.source(), "[" + name + "] must be a table");
    for (const auto& [key, value] : *node.as_table()) {
      if (!known->second.count(std::string(key.str())))
        fail(source, value.source(), "unknown key " + name + "." + std::string(key.str()));
    }
  }
  Config c = defaultConfig();
  static const toml::table kEmpty;
  auto section = [&](const char* name) -> const toml::table& {
    const toml::table* t = root[name].as_table();
    return t ? *t : kEmpty;
  };

  const auto& state = section("state");
  c.state.dir = get<std::string>(state, source, "state", "dir", c.state.dir.string());
  if (c.state.dir.empty()) throw ConfigError(source + ": state.dir must not be empty");
  c.state.map_size_bytes =
      static_cast<size_t>(getInt(state, source, "state", "map_size_mb", 4096, 16, 1 << 20)) << 20;
  c.state.max_readers =
      static_cast<unsigned>(getInt(state, source, "state", "max_readers", 512, 16, 65536));
  c.state.change_log_keep = static_cast<uint64_t>(
      getInt(state, source, "state", "change_log_keep", 200000, 1000, 100000000));

  const auto& api = section("api");
  c.api.listen = get<std::string>(api, source, "api", "listen", c.api.listen);
  c.api.port = static_cast<int>(getInt(api, source, "api", "port", c.api.port, 0, 65535));
  c.api.tls_cert = get<std::string>(api, source, "api", "tls_cert", "");
  c.api.tls_key = get<std::string>(api, source, "api", "tls_key", "");
  c.api.threads = static_cast<unsigned>(getInt(api, source, "api", "threads", 8, 1, 256));
  c.api.max_body_bytes =
      static_cast<size_t>(getInt(api, source, "api", "max_body_bytes", 1 << 20, 1024, 64 << 20));
  if (c.api.tls_cert.empty() != c.api.tls_key.empty())
    throw ConfigError(source + ": api.tls_cert and api.tls_key go together: set both or neither");
  if (!c.api.tls_cert.empty()) {
    checkReadable(source, "api.tls_cert", c.api.tls_cert);
    checkReadable(source, "api.tls_key", c.api.tls_key);
  }

  const auto& logs = section("log");
  const std::string level = get<std::string>(logs, source, "log", "level", "info");
  if (!log::parseLevel(level, &c.log_level))
    throw ConfigError(source + ": log.level must be error, warning, notice, info or debug");

  const auto& hk = section("housekeeping");
  c.housekeeping_interval_s =
      static_cast<unsigned>(getInt(hk, source, "housekeeping", "interval_s", 60, 1, 86400));
  c.stale_session_misses =
      static_cast<unsigned>(getInt(hk, source, "housekeeping", "stale_session_misses", 3, 2, 100));
  c.closed_session_keep_s =
      getInt(hk, source, "housekeeping", "closed_session_keep_s", 86400, 600, 30 * 86400);
  c.default_interim_s = static_cast<uint32_t>(
      getInt(section("aaa"), source, "aaa", "default_interim_s", 300, 60, 86400));

  const auto& coa = section("coa");
  auto& e = c.coa;
  e.enabled = get<bool>(coa, source, "coa", "enabled", true);
  e.client.source_address = get<std::string>(coa, source, "coa", "source_address", "0.0.0.0");
  {
    boost::system::error_code ec;
    asio::ip::make_address_v4(e.client.source_address, ec);
    if (ec)
      throw ConfigError(source + ": coa.source_address must be an IPv4 address, is '" +
                        e.client.source_address + "'");
  }
  e.client.max_in_flight_per_nas =
      static_cast<unsigned>(getInt(coa, source, "coa", "max_in_flight_per_nas", 32, 1, 255));
  e.client.initial_timeout =
      std::chrono::milliseconds(getInt(coa, source, "coa", "timeout_ms", 1000, 10, 60000));
  e.client.max_timeout =
      std::chrono::milliseconds(getInt(coa, source, "coa", "max_timeout_ms", 4000, 10, 120000));
  e.client.max_attempts = static_cast<unsigned>(getInt(coa, source, "coa", "attempts", 3, 1, 10));
  const std::string nak_fallback =
      get<std::string>(coa, source, "coa", "nak_fallback", "disconnect");
  if (nak_fallback != "disconnect" && nak_fallback != "none")
    throw ConfigError(source + ": coa.nak_fallback must be \"disconnect\" or \"none\"");
  e.nak_fallback_disconnect = nak_fallback == "disconnect";
  e.follow_interval =
      std::chrono::milliseconds(getInt(coa, source, "coa", "follow_interval_ms", 200, 10, 10000));
  e.full_interval =
      std::chrono::seconds(getInt(coa, source, "coa", "full_interval_s", 60, 1, 86400));
  e.stale_misses = c.stale_session_misses;
  e.default_interim_s = c.default_interim_s;
  const auto& ros = section("routeros");
  auto rosInt = [&](const char* key, int64_t fallback, int64_t min, int64_t max) {
    return static_cast<unsigned>(getInt(ros, source, "routeros", key, fallback, min, max));
  };
  c.routeros_enabled = get<bool>(ros, source, "routeros", "enabled", true);
  auto& r = c.routeros;
  r.ca_file = get<std::string>(ros, source, "routeros", "ca_file", "");
  if (!r.ca_file.empty()) checkReadable(source, "routeros.ca_file", r.ca_file);
  r.request_timeout_ms = rosInt("request_timeout_ms", 10000, 100, 600000);
  r.cache_ttl_ms = rosInt("cache_ttl_ms", 3000, 0, 600000);
  r.max_in_flight = rosInt("max_in_flight", 4, 1, 64);
  r.rate_per_s = rosInt("rate_per_s", 50, 1, 10000);
  r.max_monitors = rosInt("max_monitors", 50, 1, 10000);
  r.monitor_idle_s = rosInt("monitor_idle_s", 120, 5, 86400);
  r.group_sample_s = rosInt("group_sample_s", 60, 0, 86400);
  r.group_history_keep = rosInt("group_history_keep", 10080, 10, 10000000);
  r.static_sync_s = rosInt("static_sync_s", 300, 0, 86400);
  r.default_isolation_list =
      get<std::string>(ros, source, "routeros", "default_isolation_list", "isolir");
  if (r.default_isolation_list.empty())
    throw ConfigError(source + ": routeros.default_isolation_list must not be empty");
  const auto& olt = section("olt");
  auto oltInt = [&](const char* key, unsigned def, int64_t lo, int64_t hi) {
    return static_cast<unsigned>(getInt(olt, source, "olt", key, def, lo, hi));
  };
  c.olt.enabled = get<bool>(olt, source, "olt", "enabled", true);
  c.olt.inventory_s = oltInt("inventory_s", 3600, 60, 86400);
  c.olt.state_s = oltInt("state_s", 60, 10, 3600);
  c.olt.optics_s = oltInt("optics_s", 900, 60, 86400);
  c.olt.traffic_s = oltInt("traffic_s", 300, 30, 86400);
  c.olt.max_inflight = oltInt("max_inflight", 4, 1, 64);
  c.olt.max_repetitions = oltInt("max_repetitions", 25, 1, 200);
  c.olt.timeout_ms = oltInt("timeout_ms", 2000, 100, 60000);
  c.olt.retries = oltInt("retries", 2, 0, 10);
  c.olt.reload_s = oltInt("reload_s", 5, 1, 3600);
  c.olt.history_raw_keep_h = oltInt("history_raw_keep_h", 48, 1, 24 * 365);
  c.olt.history_keep_days = oltInt("history_keep_days", 90, 1, 3650);
  const auto& np = section("nas_probe");
  auto npInt = [&](const char* key, unsigned def, int64_t lo, int64_t hi) {
    return static_cast<unsigned>(getInt(np, source, "nas_probe", key, def, lo, hi));
  };
  c.nas_probe.enabled = get<bool>(np, source, "nas_probe", "enabled", true);
  c.nas_probe.interval_s = npInt("interval_s", 30, 1, 3600);
  c.nas_probe.timeout_ms = npInt("timeout_ms", 1000, 50, 30000);
  c.nas_probe.failures = npInt("failures", 3, 1, 100);
  c.nas_probe.accounting_window_s = npInt("accounting_window_s", 120, 0, 86400);
  c.nas_probe.icmp = get<bool>(np, source, "nas_probe", "icmp", true);
  c.nas_probe.api_port = get<bool>(np, source, "nas_probe", "api_port", true);
  c.nas_probe.max_in_flight = npInt("max_in_flight", 32, 1, 1024);
  if (c.nas_probe.timeout_ms >= c.nas_probe.interval_s * 1000)
    throw ConfigError(source + ": nas_probe.timeout_ms must be shorter than nas_probe.interval_s");
  return c;
}

Config loadConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  return parseConfig(buf.str(), path.string());
}

} // namespace ispbox::appliance
