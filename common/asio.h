// SPDX-License-Identifier: GPL-2.0-or-later
// The one place that includes Boost.Asio. Boost 1.74's Asio does not compile as C++20 under GCC 12
// unless <utility> is seen first (chriskohlhoff/asio#944), so nobody includes boost/asio.hpp
// directly: include "common/asio.h" instead.
#pragma once

#include <utility> // must precede Asio, see above

#include <boost/asio.hpp>

namespace ispbox {
namespace asio = boost::asio;
} // namespace ispbox
