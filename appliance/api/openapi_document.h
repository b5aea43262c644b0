// SPDX-License-Identifier: GPL-2.0-or-later
// The OpenAPI 3 document, compiled into the binary. Its source is one fragment per resource area
// under appliance/api/openapi/: base.json holds the header, shared components and the system paths;
// every other fragment adds "tags", "paths" and "components" of its own.
#pragma once

#include <span>
#include <string_view>

namespace ispbox::api {

struct OpenApiFragment {
  std::string_view name; // file name, for error messages
  std::string_view text; // JSON
};

// The fragments as compiled in (generated), sorted by file name.
std::span<const OpenApiFragment> openApiFragments();

// The whole document: base.json with every other fragment merged in. Throws std::logic_error when a
// fragment is not valid JSON or defines a path, schema or tag another fragment already defined; the
// OpenAPI test fails on that, so a merge collision never reaches a release.
std::string_view openApiDocument();

} // namespace ispbox::api
