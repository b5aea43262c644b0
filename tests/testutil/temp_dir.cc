// SPDX-License-Identifier: GPL-2.0-or-later
#include "tests/testutil/temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace ispbox::testutil {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ispbox-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (std::getenv("ISPBOX_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace ispbox::testutil
