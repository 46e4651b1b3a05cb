// File: ledger/offline/offline_redemption.h
//
// Redemptions a till let a member make while it could not reach the
// server, reconciled when they arrive (RedeemRequest.offline; program
// rules: program.proto OfflineRedemptionRules). In order:
//   - the program allows none: FAILED_PRECONDITION
//     OFFLINE_REDEMPTION_NOT_ALLOWED (nothing written but the answer);
//   - past what is left of the member's allowance for the sale's day (the
//     day of context.occurred_at_ms in the program's time zone, counted
//     over all tills and the member's applied offline redemptions):
//     OFFLINE_REDEEM_REFUSED, outcome REFUSED_OVER_ALLOWANCE;
//   - the member has the points: REDEEM, outcome APPLIED;
//   - else by the program's when_short: DEBT takes them all down to
//     negative_balance_floor_points and writes off the rest (a REDEEM,
//     outcome DEBT); REFUSE writes OFFLINE_REDEEM_REFUSED, outcome
//     REFUSED_SHORT.
// Every outcome is an entry (the sale happened; the ledger says what it
// did about it), answered OK; all but APPLIED are listed for an operator
// (offline/offline_index.h).
#ifndef LOYALTY_LEDGER_OFFLINE_OFFLINE_REDEMPTION_H_
#define LOYALTY_LEDGER_OFFLINE_OFFLINE_REDEMPTION_H_

#include <string>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

class Batch;

// FAILED_PRECONDITION OFFLINE_REDEMPTION_NOT_ALLOWED unless the program
// has an offline allowance.
absl::Status CheckOfflineRedemptionAllowed(const Rules& rules);

// Decides an offline Redeem of `member` (resolved, active, settled) and
// appends its entry; fills `response`.
absl::Status DecideOfflineRedeem(const Rules& rules, Batch& batch,
                                 const std::string& principal,
                                 const loyalty::v1::RedeemRequest& request,
                                 loyalty::storage::v1::MemberRecord* member,
                                 loyalty::v1::RedeemResponse* response);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_OFFLINE_OFFLINE_REDEMPTION_H_
