// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/log.h"

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <sys/time.h>
#include <unistd.h>

namespace ispbox::log {
namespace {

std::atomic<Level> g_level{Level::Info};
std::atomic<int> g_fd{STDERR_FILENO};
std::mutex g_ident_mutex;
std::string g_ident = "ispbox";

const char* levelName(Level lvl) {
  switch (lvl) {
  case Level::Error:
    return "ERROR";
  case Level::Warning:
    return "WARN";
  case Level::Notice:
    return "NOTICE";
  case Level::Info:
    return "INFO";
  case Level::Debug:
    return "DEBUG";
  }
  return "INFO";
}

bool journalMode() {
  static const bool on = std::getenv("JOURNAL_STREAM") != nullptr;
  return on;
}

} // namespace

void setLevel(Level lvl) {
  g_level = lvl;
}
Level level() {
  return g_level;
}

bool parseLevel(std::string_view text, Level* out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"error", Level::Error},
                                                                  {"warning", Level::Warning},
                                                                  {"notice", Level::Notice},
                                                                  {"info", Level::Info},
                                                                  {"debug", Level::Debug}};
  for (const auto& [name, lvl] : kNames) {
    if (name == text) {
      *out = lvl;
      return true;
    }
  }
  return false;
}

void setIdent(std::string_view ident) {
  std::lock_guard lock(g_ident_mutex);
  g_ident = ident;
}

void setFd(int fd) {
  g_fd = fd < 0 ? STDERR_FILENO : fd;
}

void write(Level lvl, std::string_view id, std::string_view message) {
  std::string line;
  line.reserve(64 + id.size() + message.size());
  if (journalMode()) {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(lvl));
    line += '>';
  } else {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm utc{};
    gmtime_r(&tv.tv_sec, &utc);
    char stamp[40];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    line += stamp;
    char millis[8];
    snprintf(millis, sizeof millis, ".%03dZ ", static_cast<int>(tv.tv_usec / 1000));
    line += millis;
    {
      std::lock_guard lock(g_ident_mutex);
      line += g_ident;
    }
    line += '[' + std::to_string(getpid()) + "] ";
    line += levelName(lvl);
    line += ' ';
  }
  line += id;
  line += ": ";
  // One record per line: a newline inside a message would fake a second record.
  for (char c : message)
    line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  const int fd = g_fd;
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n <= 0) break; // nowhere left to complain to
    off += static_cast<size_t>(n);
  }
}

} // namespace ispbox::log
