#include "ledger/rewards/redeem_reward.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/coupon_issuance.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/read/views.h"
#include "ledger/rewards/catalog.h"
#include "ledger/rewards/reward_rules.h"
#include "ledger/rewards/rewards_fold.h"
#include "ledger/vouchers/products.h"
#include "ledger/vouchers/voucher_rules.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::RewardCount;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::RewardItem;

namespace {

// What the reward buys, checked and drawn before anything is appended so
// that a refusal writes nothing.
struct Purchase {
  std::string code;
  // A coupon: IssueCoupon's budget and limit checked, its code drawn.
  CouponIssuePlan coupon_plan;
  // A voucher: its product, record and expiry.
  const loyalty::v1::VoucherProduct* product = nullptr;
  VoucherRecord* voucher = nullptr;
  int64_t voucher_expires_at_ms = 0;
};

absl::Status PrepareCoupon(const Rules& rules, const RewardItem& item,
                           const std::string& member_id, Batch& batch,
                           Purchase& purchase) {
  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, item.coupon_template_id());
  // Invariant: program validation checked the item's template exists.
  LEDGER_CHECK(coupon_template != nullptr);
  LEDGER_ASSIGN_OR_RETURN(purchase.coupon_plan,
                          PlanCouponIssue(*coupon_template, member_id, batch));
  purchase.code = purchase.coupon_plan.code;
  return absl::OkStatus();
}

absl::Status PrepareVoucher(const Rules& rules, const RewardItem& item,
                            Batch& batch, Purchase& purchase) {
  purchase.product =
      FindVoucherProduct(rules.program, item.voucher_product_id());
  // Invariant: program validation checked the item's product exists.
  LEDGER_CHECK(purchase.product != nullptr);
  purchase.voucher_expires_at_ms =
      VoucherExpiresAtMs(*purchase.product, rules.time_zone, batch.now_ms());
  if (purchase.voucher_expires_at_ms <= batch.now_ms()) {
    return VoucherRefused(loyalty::v1::ERROR_REASON_VOUCHER_EXPIRED,
                          absl::StrCat("product \"", item.voucher_product_id(),
                                       "\"'s vouchers can no longer be used"));
  }
  LEDGER_ASSIGN_OR_RETURN(purchase.code,
                          NewVoucherCode(batch, &purchase.voucher));
  return absl::OkStatus();
}

}  // namespace

absl::Status RedeemRewardCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  return ValidateId(request.item_id(), "item_id");
}

absl::Status RedeemRewardCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<RedeemRewardCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  const RewardItem* item = FindRewardItem(rules.program, request.item_id());
  if (item == nullptr) {
    return WithReason(absl::NotFoundError(absl::StrCat(
                          "item_id: the rewards catalog has no item \"",
                          request.item_id(), "\"")),
                      loyalty::v1::ERROR_REASON_REWARD_ITEM_NOT_FOUND);
  }
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const std::string item_key = RewardItemCountKey(item->item_id());
  const std::string member_key =
      RewardMemberCountKey(item->item_id(), request.member_id());
  LEDGER_ASSIGN_OR_RETURN(
      RewardCount * item_count,
      batch.LoadRecord<RewardCount>(Family::kRewardCounts, item_key));
  LEDGER_ASSIGN_OR_RETURN(
      RewardCount * member_count,
      batch.LoadRecord<RewardCount>(Family::kRewardCounts, member_key));
  LEDGER_ASSIGN_OR_RETURN(const int64_t member_held,
                          MemberRewardsHeld(item->item_id(), *member, batch));
  LEDGER_RETURN_IF_ERROR(
      CheckRewardOffered(rules.program, *item, request.context().channel(),
                         member->tier_id(), *item_count, member_held));
  LEDGER_RETURN_IF_ERROR(CheckDelta(
      *member, loyalty::v1::ENTRY_KIND_REWARD_REDEEM, -item->points_price()));
  const bool voucher = !item->voucher_product_id().empty();
  Purchase purchase;
  LEDGER_RETURN_IF_ERROR(
      voucher
          ? PrepareVoucher(rules, *item, batch, purchase)
          : PrepareCoupon(rules, *item, request.member_id(), batch, purchase));

  // Nothing can be refused from here on: both entries are written.
  LedgerEntry redeem_entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_REWARD_REDEEM, request.member_id());
  redeem_entry.set_points_delta(-item->points_price());
  loyalty::v1::RewardRedeemed* redeemed =
      redeem_entry.mutable_reward_redeemed();
  redeemed->set_item_id(item->item_id());
  redeemed->set_points(item->points_price());
  redeemed->set_code(purchase.code);
  redeemed->set_voucher(voucher);
  LedgerEntry redeem_appended = batch.Append(std::move(redeem_entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(
      fold::FoldRewardCounts(redeem_appended, item_count, member_count).ok());
  batch.StageRecord(Family::kRewardCounts, item_key);
  batch.StageRecord(Family::kRewardCounts, member_key);

  loyalty::v1::RedeemRewardResponse response;
  if (voucher) {
    LedgerEntry issue_entry =
        EntryFor(request.context(), command.principal,
                 loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE, request.member_id());
    loyalty::v1::VoucherIssued* issued = issue_entry.mutable_voucher_issued();
    issued->set_code(purchase.code);
    issued->set_product_id(purchase.product->product_id());
    issued->set_sku(purchase.product->sku());
    issued->set_units(item->voucher_units());
    issued->set_price_minor(0);
    issued->set_expires_at_ms(purchase.voucher_expires_at_ms);
    issued->set_refundable(false);  // Bought with points, not money.
    issued->set_reward_item_id(item->item_id());
    issued->set_reward_points(item->points_price());
    issued->set_reward_cancellable(item->cancellable());
    LedgerEntry issue_appended = batch.Append(std::move(issue_entry), member);
    LEDGER_CHECK(
        fold::FoldVoucherEntry(issue_appended, purchase.voucher, nullptr).ok());
    batch.StageRecord(Family::kVouchers, VoucherKey(purchase.code));
    *response.mutable_voucher() =
        VoucherView(*purchase.voucher, purchase.product, batch.now_ms());
    *response.add_entries() = std::move(redeem_appended);
    *response.add_entries() = std::move(issue_appended);
  } else {
    LedgerEntry issue_entry =
        EntryFor(request.context(), command.principal,
                 loyalty::v1::ENTRY_KIND_COUPON_ISSUE, request.member_id());
    loyalty::v1::CouponIssued* issued = issue_entry.mutable_coupon_issued();
    issued->set_reward_item_id(item->item_id());
    issued->set_reward_points(item->points_price());
    issued->set_reward_cancellable(item->cancellable());
    IssuedCoupon coupon = AppendCouponIssue(
        rules, purchase.coupon_plan, std::move(issue_entry), member, batch);
    *response.mutable_coupon() =
        CouponView(*coupon.coupon, purchase.coupon_plan.coupon_template,
                   batch.now_ms());
    *response.add_entries() = std::move(redeem_appended);
    *response.add_entries() = std::move(coupon.entry);
  }
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
