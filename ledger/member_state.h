// File: ledger/member_state.h
//
// A member's state is a fold of its entries (promise 2). ApplyEntry is that
// fold's step; the writer uses it to update state after appending an entry,
// and VerifyLedger uses it to re-derive every member from the ledger, so the
// two can only agree.
#ifndef LOYALTY_LEDGER_MEMBER_STATE_H_
#define LOYALTY_LEDGER_MEMBER_STATE_H_

#include "absl/status/status.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/records.pb.h"

namespace loyalty {

// Applies `entry` to `member` (an empty record before the member's ENROLL).
// Internal when the entry cannot follow the state: an ENROLL of an existing
// member, any other entry before ENROLL, an overflow, a balance below zero,
// or an available_after_points that disagrees with the fold. `member` is
// unchanged on error.
absl::Status ApplyEntry(const loyalty::v1::LedgerEntry& entry,
                        loyalty::v1::MemberRecord* member);

// The public view of a member's balances.
loyalty::v1::Balance BalanceOf(const loyalty::v1::MemberRecord& member);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBER_STATE_H_
