// SPDX-License-Identifier: GPL-2.0-or-later
// The OpenAPI 3 document (appliance/api/openapi.json), compiled into the binary.
#pragma once

#include <string_view>

namespace ispbox::api {
std::string_view openApiDocument();
} // namespace ispbox::api
