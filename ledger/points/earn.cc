#include "ledger/points/earn.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/checkout.h"
#include "ledger/coupons/rule_coupons.h"
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

absl::Status EarnCommand::Prepare(const Rules& rules, int64_t now_ms,
                                  Request& request, Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateEarn(request, now_ms));
  LEDGER_RETURN_IF_ERROR(CanonicalizeCouponCodes(request));
  // Computed here, once: the entry records these points and rules, so a
  // later program change never rewrites them.
  LEDGER_ASSIGN_OR_RETURN(prepared,
                          ComputeEarn(rules.program, request,
                                      OccurredAtMs(request.context(), now_ms)));
  return absl::OkStatus();
}

absl::Status EarnCommand::Decide(const Rules& rules, Batch& batch,
                                 Queued<EarnCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(
      loyalty::storage::v1::OrderRecord * order,
      batch.LoadOrder(OrderKey(request.member_id(), request.order_id())));
  if (order->earn_sequence() != 0) {
    return WithReason(absl::AlreadyExistsError(absl::StrCat(
                          "order_id: order \"", request.order_id(),
                          "\" already earned points for this member (entry ",
                          order->earn_sequence(), ")")),
                      loyalty::v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // Coupons read state (who owns them, what is left of them), so an order
  // with coupons is priced again here, with their discounts.
  std::optional<CouponCheckout> checkout;
  if (request.coupon_codes_size() > 0) {
    LEDGER_ASSIGN_OR_RETURN(
        checkout,
        CheckOutCoupons(rules, request, batch.now_ms(),
                        command.prepared.order_time_ms,
                        [&](const std::string& code) {
                          return LoadPresentedCoupon(code, request.member_id(),
                                                     batch);
                        }));
    command.prepared = std::move(checkout->earn);
  }
  // The basket's points were computed before queueing; the campaign limits
  // depend on what earlier earns used, which only the writer knows.
  LimitCampaigns(rules.program, member->campaign_points(),
                 batch.head().campaign_points(), &command.prepared);
  // What qualifies for tiers is counted before the tier's own extra.
  const int64_t qualifying = QualifyingAmountOf(
      rules.program.tier_rules(), command.prepared, request.currency());
  AddTierMultiplier(rules.program, member->tier_id(), &command.prepared);
  const EarnComputation& earn = command.prepared;
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_EARN, earn.points));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_EARN, request.member_id());
  entry.set_points_delta(earn.points);
  entry.set_order_id(request.order_id());
  entry.set_currency(request.currency());
  entry.set_spend_minor(earn.spend_minor);
  for (auto& line : command.prepared.breakdown) {
    *entry.add_breakdown() = std::move(line);
  }
  entry.set_eligible_spend_minor(earn.eligible_spend_minor);
  entry.set_coupon_discount_minor(earn.coupon_discount_minor);
  entry.set_earned_on_gross(earn.earned_on_gross);
  *entry.mutable_coupon_codes() = request.coupon_codes();
  // The lines are needed once more, by the order record (from the entry).
  for (auto& line : command.prepared.lines) {
    *entry.add_earned_lines() = std::move(line);
  }
  // The lot's dates follow the order time; an order older than the return
  // window (an offline terminal catching up) is available at once.
  const int64_t order_time_ms = OccurredAtMs(request.context(), batch.now_ms());
  entry.set_lot_expires_at_ms(
      LotExpiresAtMs(rules.program.expiry(), rules.time_zone, order_time_ms));
  const int64_t matures_at_ms = MaturesAtMs(rules.program, order_time_ms);
  if (matures_at_ms > batch.now_ms()) {
    entry.set_bucket(loyalty::v1::BUCKET_PENDING);
    entry.set_matures_at_ms(matures_at_ms);
  }
  entry.set_qualifying_delta(qualifying);
  entry.set_qualifying_month(MonthIndex(order_time_ms, rules.time_zone));
  LedgerEntry earn_entry = batch.Append(std::move(entry), member);
  loyalty::v1::EarnResponse response;
  // Coupons issued by program rules come right after the entry that met
  // the rule; one whose budget or limit is reached is skipped.
  const LedgerEntry rule_coupon_who =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_COUPON_ISSUE, request.member_id());
  LEDGER_RETURN_IF_ERROR(
      IssueSpendBonusCoupons(rules, earn.coupon_bonus_rule_ids, rule_coupon_who,
                             member, batch, response.mutable_issued_coupons()));
  if (checkout.has_value()) {
    RecordCouponUses(request.context(), command.principal, request.order_id(),
                     request.currency(), *checkout, member, batch);
  }
  // An upgrade happens at once; its multiplier applies from the next earn.
  if (std::optional<LedgerEntry> upgrade = UpgradeEntry(
          *member, rules.program, rules.time_zone, batch.now_ms())) {
    const LedgerEntry tier_entry = batch.Append(std::move(*upgrade), member);
    LEDGER_RETURN_IF_ERROR(
        IssueTierUpgradeCoupon(rules, tier_entry, rule_coupon_who, member,
                               batch, response.mutable_issued_coupons()));
  }

  response.set_points_earned(earn.points);
  *response.mutable_breakdown() = earn_entry.breakdown();
  *response.mutable_entry() = std::move(earn_entry);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  if (checkout.has_value()) {
    for (auto& applied : checkout->applied) {
      *response.add_coupons() = std::move(applied);
    }
    response.set_discount_minor(checkout->discount_minor);
  }
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
