// SPDX-License-Identifier: GPL-2.0-or-later
#include "appliance/daemon.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/api/server.h"
#include "appliance/olt/poller.h"
#include "common/asio.h"
#include "common/log.h"
#include "common/time_util.h"
#include "drivers/routeros/operations.h"
#include "store/entities.h"
#include "store/logs.h"
#include "store/sessions.h"

#ifndef ISPBOX_VERSION
#define ISPBOX_VERSION "0.0.0"
#endif

namespace ispbox::appliance {

void writeFileAtomic(const std::filesystem::path& path, const std::string& content, unsigned mode) {
  const std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  fchmod(fd, mode); // the umask must not widen or narrow what we asked for
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ok && fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

bool bootstrapAdminToken(store::Env& env, const std::filesystem::path& dir) {
  auto txn = env.write();
  if (txn.count(store::Table::Tokens) > 0) return false;
  store::pb::ApiToken t;
  t.set_name("admin");
  t.set_role("admin");
  t.set_created_by("ispboxd first start");
  auto created = store::createToken(txn, t);
  store::pb::AuditEntry e;
  e.set_actor("system");
  e.set_action("create");
  e.set_entity("token");
  e.set_key(created.token.id());
  e.set_detail(R"({"name":"admin","role":"admin","reason":"first start"})");
  store::appendAudit(txn, e);
  // The file first: a token nobody can read would lock everyone out.
  writeFileAtomic(dir / "admin.token", created.secret + "\n", 0600);
  txn.commit();
  ISPBOX_LOG(Notice, "ADMIN_TOKEN_CREATED")
      << "first start: admin API token written to " << (dir / "admin.token").string();
  return true;
}

namespace {

// Sessions the NAS stopped reporting are closed here as well as in rlm_isp, so the session table
// stays right whichever of the two is running.
void sweepSessions(store::Env& env, const Config& config) {
  try {
    auto txn = env.write();
    auto sweep = store::sweepSessions(txn, timeutil::nowSeconds(), config.stale_session_misses,
                                      config.default_interim_s, config.closed_session_keep_s);
    txn.commit();
    if (sweep.stale_closed)
      ISPBOX_LOG(Notice, "SESSIONS_STALE_CLOSED")
          << "closed " << sweep.stale_closed << " session(s) not heard of for "
          << config.stale_session_misses << " interim intervals";
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "SESSIONS_SWEEP_FAILED") << e.what();
  }
}

} // namespace

int Daemon::run() {
  log::setLevel(config_.log_level);
  std::unique_ptr<store::Env> env;
  try {
    env = store::Env::open(config_.state);
  } catch (const store::StoreError& e) {
    ISPBOX_LOG(Error, "STATE_OPEN_FAILED") << e.what();
    return 1;
  }
  ISPBOX_LOG(Info, "STATE_OPENED")
      << "state at " << config_.state.dir.string() << ", schema " << env->schemaVersion();
  try {
    bootstrapAdminToken(*env, config_.state.dir);
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "ADMIN_TOKEN_FAILED") << e.what();
    return 1;
  }

  // The RouterOS features run on the loop below; declared first so the server (and its handlers)
  // go before it.
  asio::io_context io;
  std::unique_ptr<routeros::Service> routeros;
  if (config_.routeros_enabled)
    routeros = std::make_unique<routeros::Service>(io, *env, config_.routeros);
  api::ApiServer server(*env, config_.api, ISPBOX_VERSION);
  server.setRouterOs(routeros.get());
  try {
    server.bind();
  } catch (const std::exception& e) {
    ISPBOX_LOG(Error, "API_BIND_FAILED") << e.what();
    return 1;
  }
  // CoA / Disconnect: pushes billing changes to live sessions (appliance/enforcer/).
  std::unique_ptr<enforcer::Enforcer> enforce;
  if (config_.coa.enabled) {
    try {
      enforce = std::make_unique<enforcer::Enforcer>(io, *env, config_.coa);
    } catch (const std::exception& e) {
      ISPBOX_LOG(Error, "COA_BIND_FAILED") << "cannot open the CoA socket on "
                                           << config_.coa.client.source_address << ": " << e.what();
      server.stop();
      return 1;
    }
    server.setSessionControl(enforce.get());
    asio::post(io, [&] { enforce->start(); });
  }

  // A router that does not act on a Disconnect-Request loses the session through its own API.
  if (enforce && routeros)
    enforce->setSessionRemover([svc = routeros.get()](const std::string& nas,
                                                      const std::string& user,
                                                      const std::string& address, auto done) {
      std::shared_ptr<routeros::Client> client;
      try {
        client = svc->client(nas);
      } catch (const std::exception& e) {
        done(false, e.what());
        return;
      }
      routeros::removeSession(*client, {user, address, routeros::SessionKind::Any},
                              [client, done](const routeros::Error& e, size_t removed) {
                                if (e)
                                  done(false, e.message);
                                else if (removed == 0)
                                  done(false, "no such session on the router");
                                else
                                  done(true, std::to_string(removed) + " session(s) removed");
                              });
    });
  // The OLT poller runs on the same loop; the API reaches it for SNMP writes.
  OltPoller poller(io, *env, config_.olt);
  server.context().olt_writes = &poller;
  // NAS reachability for the API and ISPBOX-MIB (ispboxNasState).
  NasProber nas_prober(io, *env, config_.nas_probe);
  server.start();
  const auto url_file = config_.state.dir / "api.url";
  try {
    // Lets scripts and tests find the API when it was started on port 0.
    writeFileAtomic(url_file, server.url() + "\n", 0644);
  } catch (const std::exception& e) {
    ISPBOX_LOG(Warning, "API_URL_FILE_FAILED") << e.what();
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    ISPBOX_LOG(Notice, "SHUTDOWN") << "signal " << sig << ": stopping";
    io.stop();
  });

  // Reader slots of processes that died (a killed FreeRADIUS, say) are reclaimed here rather than
  // waiting for the next process to open the state.
  asio::steady_timer housekeeping(io);
  std::function<void()> schedule = [&] {
    housekeeping.expires_after(std::chrono::seconds(config_.housekeeping_interval_s));
    housekeeping.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (int n = env->clearStaleReaders(); n > 0)
        ISPBOX_LOG(Notice, "STATE_STALE_READERS") << "cleared " << n << " stale reader slot(s)";
      sweepSessions(*env, config_);
      schedule();
    });
  };
  schedule();

  if (routeros) routeros->start();
  poller.start();
  nas_prober.start();
  ISPBOX_LOG(Notice, "STARTED") << "ispboxd " << ISPBOX_VERSION << " ready";
  io.run();

  // Before the loop runs again below: no new CoA and no new poll from here on.
  if (enforce) enforce->stop();
  poller.stop();
  nas_prober.stop();
  // The loop has stopped: SSE writers waiting on monitors are released by ending them, then the
  // API stops before the service it calls goes away.
  if (routeros) {
    routeros->stop();
    // Let the clients' close run, so API requests still waiting on a router fail now.
    io.restart();
    io.run_for(std::chrono::milliseconds(500));
  }
  server.stop(); // no API thread calls into the enforcer or the RouterOS service after this
  std::error_code ec;
  std::filesystem::remove(url_file, ec);
  ISPBOX_LOG(Notice, "STOPPED") << "ispboxd stopped cleanly";
  return 0;
}

} // namespace ispbox::appliance
