// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentx/sources.h"

namespace ispbox::agentx {
namespace {

class EmptyDeviceSource : public DeviceSource {
public:
  bool poll(DeviceSnapshot* out) override {
    if (polled_) return false;
    polled_ = true;
    *out = {};
    return true;
  }

private:
  bool polled_ = false;
};

} // namespace

std::unique_ptr<DeviceSource> makeEmptyDeviceSource() {
  return std::make_unique<EmptyDeviceSource>();
}

} // namespace ispbox::agentx
