// File: ledger/points/settle.h
//
// Settling a member: before any rule reads a member's state, the writer
// appends what time itself made due for it since its last entry (a hold or
// a coupon reservation timed out, a pending lot matured, a lot expired, a
// tier evaluation, and the vouchers' gift returns and unit expiries:
// vouchers/voucher_time.h), so every rule sees the member as of the batch's
// now. Writer thread only.
#ifndef LOYALTY_LEDGER_POINTS_SETTLE_H_
#define LOYALTY_LEDGER_POINTS_SETTLE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Loads the member and appends every time-driven entry due for it.
// NotFound (MEMBER_NOT_FOUND) naming it for an unknown member.
absl::StatusOr<loyalty::storage::v1::MemberRecord*> SettleMember(
    absl::string_view member_id, const Rules& rules, Batch& batch);

// SettleMember for a command that writes to the member:
// FAILED_PRECONDITION (MEMBER_CLOSED) for a closed one, (MEMBER_MERGED) for
// an alias that a rule did not resolve.
absl::StatusOr<loyalty::storage::v1::MemberRecord*> LoadSettled(
    absl::string_view member_id, const Rules& rules, Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_SETTLE_H_
