#include "ledger/points/return.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/coupon_returns.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/orders.h"
#include "ledger/points/settle.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status ReturnCommand::Prepare(const Rules& rules, int64_t now_ms,
                                    Request& request, Prepared& prepared) {
  return ValidateReturn(request, now_ms);
}

absl::Status ReturnCommand::Decide(const Rules& rules, Batch& batch,
                                   Queued<ReturnCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  const std::string order_key =
      OrderKey(request.member_id(), request.order_id());
  // A line naming a SKU the order never had is a typo: INVALID_ARGUMENT,
  // decided before the member is settled, so that nothing is written.
  {
    LEDGER_ASSIGN_OR_RETURN(const loyalty::storage::v1::OrderRecord* order,
                            batch.LoadOrder(order_key));
    if (order->earn_sequence() != 0) {
      LEDGER_RETURN_IF_ERROR(CheckReturnedSkus(*order, request));
    }
  }
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(loyalty::storage::v1::OrderRecord * order,
                          batch.LoadOrder(order_key));
  if (order->earn_sequence() == 0) {
    return WithReason(absl::NotFoundError(absl::StrCat(
                          "order_id: this member has no order \"",
                          request.order_id(), "\" that earned points")),
                      loyalty::v1::ERROR_REASON_ORDER_NOT_FOUND);
  }
  LEDGER_ASSIGN_OR_RETURN(ReturnPlan plan, PlanReturn(*order, request));
  // The return that brings back the order's whole paid value settles its
  // coupons (coupons/coupon_returns.h); the record as it was before it.
  const bool whole_order = order->returned_value_minor() +
                               plan.returned_value_minor ==
                           order->spend_minor();
  const loyalty::storage::v1::OrderRecord order_before = *order;

  // Pending first: what is left of the order's own pending lot.
  int64_t order_pending = 0;
  for (const loyalty::storage::v1::Lot& lot : member->pending_lots()) {
    if (lot.sequence() == order->earn_sequence()) order_pending = lot.points();
  }
  const int64_t from_pending = std::min(plan.points_due, order_pending);
  const int64_t rest = plan.points_due - from_pending;
  // Then available, as far as the return policy allows.
  int64_t from_available = 0;
  const int64_t available = member->available_points();
  switch (rules.program.return_policy()) {
    case loyalty::v1::RETURN_POLICY_REVERSE_PENDING_ONLY:
      break;
    case loyalty::v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE: {
      // The floor is -10^9..-1 (ValidateProgram): no overflow. A member
      // below today's floor (it was lower before) has no room left.
      const int64_t room = std::max<int64_t>(
          0, available - rules.program.negative_balance_floor_points());
      from_available = std::min(rest, room);
      break;
    }
    default:  // FORGIVE_SHORTFALL, and unset.
      from_available = std::min(rest, std::max<int64_t>(available, 0));
      break;
  }

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_RETURN, request.member_id());
  entry.set_order_id(request.order_id());
  entry.set_currency(order->currency());
  entry.set_points_delta(-from_available);
  entry.set_pending_reversed_points(from_pending);
  entry.set_lot_sequence(order->earn_sequence());
  entry.set_forgiven_points(rest - from_available);
  *entry.mutable_returned_lines() = request.lines();
  entry.set_returned_value_minor(plan.returned_value_minor);
  entry.set_returned_eligible_minor(plan.returned_eligible_minor);
  // The return's share of what the order qualified, taken from the month it
  // counted in, as far as that month is still kept.
  entry.set_qualifying_month(order->qualifying_month());
  entry.set_qualifying_delta(
      -std::min(plan.qualifying_returned,
                QualifyingOfMonth(*member, order->qualifying_month())));

  loyalty::v1::ReturnResponse response;
  *response.add_entries() = batch.Append(std::move(entry), member);
  response.set_points_reversed(from_pending + from_available);
  response.set_points_forgiven(rest - from_available);
  if (plan.points_restored > 0) {
    // Restored points may not fit beside a member's other points: a return
    // still takes back what it must, and says what it could not restore.
    absl::Status fits = CheckDelta(*member, loyalty::v1::ENTRY_KIND_RESTORE,
                                   plan.points_restored);
    LEDGER_CHECK(fits.ok() ||
                 ReasonOf(fits) == loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
    if (fits.ok()) {
      LedgerEntry restore =
          EntryFor(request.context(), command.principal,
                   loyalty::v1::ENTRY_KIND_RESTORE, request.member_id());
      restore.set_order_id(request.order_id());
      restore.set_points_delta(plan.points_restored);
      restore.set_lot_expires_at_ms(LotExpiresAtMs(
          rules.program.expiry(), rules.time_zone, batch.now_ms()));
      *response.add_entries() = batch.Append(std::move(restore), member);
      response.set_points_restored(plan.points_restored);
    }
  }
  if (whole_order && order_before.coupon_codes_size() > 0) {
    LEDGER_ASSIGN_OR_RETURN(
        std::vector<LedgerEntry> restored,
        RestoreCouponsOfOrder(rules, request.context(), command.principal,
                              request.order_id(), order_before, member,
                              batch));
    for (LedgerEntry& coupon_entry : restored) {
      *response.add_entries() = std::move(coupon_entry);
    }
  }
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
