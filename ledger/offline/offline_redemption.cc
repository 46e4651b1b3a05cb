#include "ledger/offline/offline_redemption.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/offline/offline_fold.h"
#include "ledger/points/points_fold.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::OfflineRedemption;

absl::Status CheckOfflineRedemptionAllowed(const Rules& rules) {
  if (rules.program.offline_redemption().points_per_member_day() > 0) {
    return absl::OkStatus();
  }
  return WithReason(absl::FailedPreconditionError(
                        "offline: the program allows no offline redemptions "
                        "(offline_redemption.points_per_member_day is 0)"),
                    loyalty::v1::ERROR_REASON_OFFLINE_REDEMPTION_NOT_ALLOWED);
}

absl::Status DecideOfflineRedeem(const Rules& rules, Batch& batch,
                                 const std::string& principal,
                                 const loyalty::v1::RedeemRequest& request,
                                 MemberRecord* member,
                                 loyalty::v1::RedeemResponse* response) {
  const loyalty::v1::OfflineRedemptionRules& offline =
      rules.program.offline_redemption();
  // Invariant: CheckOfflineRedemptionAllowed passed; validation bounds
  // points to (0, 10^15].
  LEDGER_CHECK(offline.points_per_member_day() > 0);
  LEDGER_CHECK(request.points() > 0);
  const int64_t occurred_at_ms = request.context().occurred_at_ms() != 0
                                     ? request.context().occurred_at_ms()
                                     : batch.now_ms();
  const int64_t points = request.points();
  const int64_t available = member->available_points();

  OfflineRedemption details;
  details.set_points(points);
  details.set_day(EventDay(occurred_at_ms, rules.time_zone));
  details.set_available_points(available);
  const fold::OfflineDayCount day_count =
      fold::OfflineRedeemedOn(*member, details.day());
  const int64_t allowance_left =
      day_count.known ? std::max<int64_t>(0, offline.points_per_member_day() -
                                                 day_count.points)
                      : 0;
  details.set_allowance_left_points(allowance_left);

  int64_t taken = 0;
  if (points > allowance_left) {
    details.set_outcome(loyalty::v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE);
  } else if (available >= points) {
    details.set_outcome(loyalty::v1::OFFLINE_OUTCOME_APPLIED);
    taken = points;
  } else if (offline.when_short() ==
             loyalty::v1::OFFLINE_SHORTFALL_POLICY_DEBT) {
    // The floor is -10^9..-1 (ValidateProgram): no overflow. A member
    // already below today's floor has no room left.
    const int64_t room = std::max<int64_t>(
        0, available - rules.program.negative_balance_floor_points());
    taken = std::min(points, room);
    details.set_outcome(loyalty::v1::OFFLINE_OUTCOME_DEBT);
    details.set_debt_points(taken -
                            std::min(taken, std::max<int64_t>(available, 0)));
    details.set_written_off_points(points - taken);
  } else {
    details.set_outcome(loyalty::v1::OFFLINE_OUTCOME_REFUSED_SHORT);
  }
  const bool applied =
      details.outcome() == loyalty::v1::OFFLINE_OUTCOME_APPLIED ||
      details.outcome() == loyalty::v1::OFFLINE_OUTCOME_DEBT;
  if (taken > 0) {
    int64_t redeemed = 0;
    if (__builtin_add_overflow(member->redeemed_points_total(), taken,
                               &redeemed)) {
      return TotalOverflow(member->redeemed_points_total(), taken);
    }
  }
  if (applied && !request.order_id().empty()) {
    // Points redeemed on an order come back in part if it is returned.
    LEDGER_RETURN_IF_ERROR(
        batch.LoadOrder(OrderKey(request.member_id(), request.order_id()))
            .status());
  }
  LedgerEntry entry =
      EntryFor(request.context(), principal,
               applied ? loyalty::v1::ENTRY_KIND_REDEEM
                       : loyalty::v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED,
               request.member_id());
  entry.set_points_delta(-taken);
  entry.set_order_id(request.order_id());
  *entry.mutable_offline_redemption() = std::move(details);
  *response->mutable_entry() = batch.Append(std::move(entry), member);
  *response->mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  return absl::OkStatus();
}

}  // namespace loyalty
