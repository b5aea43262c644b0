// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "appliance/config.h"

namespace ispbox::appliance {
namespace {

TEST(Config, EmptyFileGivesDefaults) {
  Config c = parseConfig("", "test.toml");
  EXPECT_EQ(c.state.dir, "/var/lib/ispbox");
  EXPECT_EQ(c.api.listen, "127.0.0.1");
  EXPECT_EQ(c.api.port, 8080);
  EXPECT_EQ(c.state.map_size_bytes, size_t{4096} << 20);
  EXPECT_EQ(c.log_level, log::Level::Info);
}

TEST(Config, ReadsEverySection) {
  Config c = parseConfig(R"(
[state]
dir = "/srv/ispbox"
map_size_mb = 1024
[api]
listen = "0.0.0.0"
port = 9443
threads = 4
[log]
level = "debug"
[housekeeping]
interval_s = 5
stale_session_misses = 4
[aaa]
default_interim_s = 120
)",
                         "test.toml");
  EXPECT_EQ(c.state.dir, "/srv/ispbox");
  EXPECT_EQ(c.state.map_size_bytes, size_t{1024} << 20);
  EXPECT_EQ(c.api.listen, "0.0.0.0");
  EXPECT_EQ(c.api.port, 9443);
  EXPECT_EQ(c.api.threads, 4u);
  EXPECT_EQ(c.log_level, log::Level::Debug);
  EXPECT_EQ(c.housekeeping_interval_s, 5u);
  EXPECT_EQ(c.stale_session_misses, 4u);
  EXPECT_EQ(c.default_interim_s, 120u);
}

struct BadConfig {
  const char* text;
  const char* expect; // part of the message
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameTheProblem) {
  try {
    parseConfig(GetParam().text, "bad.toml");
    FAIL() << "accepted: " << GetParam().text;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().expect), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.toml"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(BadConfig{"[api]\nprot = 1\n", "unknown key api.prot"},
                      BadConfig{"[web]\nport = 1\n", "unknown section [web]"},
                      BadConfig{"[api]\nport = \"80\"\n", "api.port must be an integer"},
                      BadConfig{"[api]\nport = 70000\n", "api.port must be in 0..65535"},
                      BadConfig{"[api]\ntls_cert = \"/x.pem\"\n", "go together"},
                      BadConfig{"[api]\ntls_cert = \"/nonexistent.pem\"\ntls_key = \"/k\"\n",
                                "cannot be read"},
                      BadConfig{"[log]\nlevel = \"loud\"\n", "log.level"},
                      BadConfig{"[state]\nmap_size_mb = 1\n", "state.map_size_mb"},
                      BadConfig{"[state\n", "bad.toml:1"},
                      BadConfig{"api = 5\n", "[api] must be a table"}));

} // namespace
} // namespace ispbox::appliance
