// File: ledger/read/views.h
//
// The public views of a member's stored state, as of a moment: what reads
// answer and what rules put in their responses. Time-driven entries due by
// then (maturities, expiries, hold timeouts, tier evaluations) count as if
// written (points/time_driven.h, ProjectedAt), so a view never shows points
// that should have matured or expired.
#ifndef LOYALTY_LEDGER_READ_VIEWS_H_
#define LOYALTY_LEDGER_READ_VIEWS_H_

#include <cstdint>

#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// The member's balance as of `now_ms`.
loyalty::v1::Balance BalanceAt(const loyalty::storage::v1::MemberRecord& record,
                               int64_t now_ms, const Rules& rules);

// The member (status, identifiers, aliases, balance, tier) as of `now_ms`.
loyalty::v1::Member MemberAt(const loyalty::storage::v1::MemberRecord& record,
                             int64_t now_ms, const Rules& rules);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_VIEWS_H_
