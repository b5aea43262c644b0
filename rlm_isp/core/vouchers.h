// SPDX-License-Identifier: GPL-2.0-or-later
// Access-Requests for vouchers (store/vouchers.h): a User-Name that is no subscriber is looked
// up as a voucher code. A voucher gets its plan's attributes with its own limits: Session-Timeout
// is what is left of its validity or its online time, whichever is less, and
// Mikrotik-Total-Limit what is left of its data. Its first accepted login activates it (post-auth:
// only a login whose password was right starts the clock).
#pragma once

#include <cstdint>
#include <string_view>

#include "rlm_isp/core/policy.h"
#include "store/env.h"

namespace ispbox::aaa {

// The profile of a voucher's Access-Accept: its Class is "ispbox:voucher:<plan>".
inline constexpr std::string_view kVoucherProfile = "voucher";

// Decides an Access-Request whose User-Name is no subscriber: the voucher's answer, or a reject
// with "Unknown user". Takes the caller's read snapshot and ends it before writing (a pool lease).
AuthDecision authorizeVoucher(store::Env& env, store::ReadTxn snapshot, const AuthRequest& req,
                              int64_t now, const PolicyOptions& options);

// Post-auth of an Access-Accept with the voucher profile: the first accepted login sets the
// voucher's first_used_at (and expiry), with an audit entry, durably before the Accept leaves.
// Of two first logins racing, one activates. True when this call activated the voucher.
bool activateVoucherOnAccept(store::Env& env, std::string_view code, std::string_view nas_ip,
                             int64_t now);

} // namespace ispbox::aaa
