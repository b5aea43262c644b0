// SPDX-License-Identifier: GPL-2.0-or-later
// The vendor drivers (one file each), for makeDriver().
#pragma once

#include <memory>

#include "drivers/olt/driver.h"

namespace ispbox::olt {

std::unique_ptr<Driver> makeZteDriver();
std::unique_ptr<Driver> makeHuaweiDriver();
std::unique_ptr<Driver> makeFiberhomeDriver();
std::unique_ptr<Driver> makeVsolDriver();
std::unique_ptr<Driver> makeBdcomDriver();
std::unique_ptr<Driver> makeCdataDriver();

} // namespace ispbox::olt
