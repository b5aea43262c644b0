// SPDX-License-Identifier: GPL-2.0-or-later
// Logging to stderr with a stable, greppable message identifier on every line.
//
//   ISPBOX_LOG(Info, "API_LISTENING") << "admin API on " << host << ":" << port;
//
// Under systemd (JOURNAL_STREAM set) lines carry the "<N>" priority prefix journald understands;
// on a terminal they carry a UTC timestamp and the level name. Each line is one write(2), so lines
// from several threads never interleave. Message identifiers are listed in docs/log-messages.md.
#pragma once

#include <sstream>
#include <string_view>

namespace ispbox::log {

// Values are syslog priorities.
enum class Level { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void setLevel(Level level);
Level level();
bool parseLevel(std::string_view text, Level* out);
void setIdent(std::string_view ident);
// Redirects output (for tests); fd -1 restores stderr.
void setFd(int fd);

void write(Level level, std::string_view id, std::string_view message);

class Line {
public:
  Line(Level lvl, std::string_view id) : level_(lvl), id_(id) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line() { write(level_, id_, stream_.view()); }
  template <class T> Line& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

private:
  Level level_;
  std::string_view id_;
  std::ostringstream stream_;
};

} // namespace ispbox::log

// A loop rather than an if/else, so the macro is safe inside an unbraced if.
#define ISPBOX_LOG(lvl, id)                                                                        \
  for (bool ispbox_log_on_ = ::ispbox::log::Level::lvl <= ::ispbox::log::level(); ispbox_log_on_;  \
       ispbox_log_on_ = false)                                                                     \
  ::ispbox::log::Line(::ispbox::log::Level::lvl, id)
