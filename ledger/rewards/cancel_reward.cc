#include "ledger/rewards/cancel_reward.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"
#include "ledger/rewards/rewards_fold.h"
#include "ledger/vouchers/products.h"

namespace loyalty {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::RewardCount;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

namespace {

// One message for every code that is not a reward of the member, so it
// tells nothing about which codes exist.
absl::Status RewardNotFound() {
  return WithReason(absl::NotFoundError("code: no reward of the member has "
                                        "this code"),
                    loyalty::v1::ERROR_REASON_REWARD_NOT_FOUND);
}

absl::Status NotCancellable(absl::string_view why) {
  return WithReason(absl::FailedPreconditionError(
                        absl::StrCat("the reward cannot be cancelled: ", why)),
                    loyalty::v1::ERROR_REASON_REWARD_NOT_CANCELLABLE);
}

// Why an owned reward coupon may not be cancelled now, or "".
std::string CouponRefusal(const CouponRecord& coupon, int64_t now_ms) {
  if (!coupon.reward_cancellable()) return "its item does not allow it";
  if (coupon.cancelled()) return "it was cancelled already";
  if (coupon.uses() > 0) return "the coupon was used";
  if (coupon.reservations_size() > 0) return "a use of the coupon is reserved";
  if (now_ms >= coupon.valid_until_ms()) return "the coupon has expired";
  return "";
}

std::string VoucherRefusal(const VoucherRecord& voucher, int64_t now_ms) {
  if (!voucher.reward_cancellable()) return "its item does not allow it";
  if (voucher.units_cancelled() > 0) return "it was cancelled already";
  if (now_ms >= voucher.expires_at_ms()) return "the voucher has expired";
  if (voucher.units_left() != voucher.units_bought()) {
    return "units of the voucher were picked up, given or refunded";
  }
  return "";
}

}  // namespace

absl::Status CancelRewardCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  return absl::OkStatus();
}

absl::Status CancelRewardCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<CancelRewardCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  // Settling first writes a reservation's timeout before it is looked at.
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const int64_t now_ms = batch.now_ms();

  // The code is a reward coupon or a reward voucher of the member.
  LEDGER_ASSIGN_OR_RETURN(CouponRecord * coupon,
                          batch.LoadRecord<CouponRecord>(
                              Family::kCoupons, CouponKey(request.code())));
  VoucherRecord* voucher = nullptr;
  std::string owner;
  if (!coupon->code().empty() && !coupon->reward_item_id().empty()) {
    LEDGER_ASSIGN_OR_RETURN(owner, ResolveMemberId(coupon->member_id(), batch));
  } else {
    coupon = nullptr;
    LEDGER_ASSIGN_OR_RETURN(
        voucher, batch.LoadRecord<VoucherRecord>(Family::kVouchers,
                                                 VoucherKey(request.code())));
    if (voucher->code().empty() || voucher->reward_item_id().empty()) {
      return RewardNotFound();
    }
    LEDGER_ASSIGN_OR_RETURN(owner,
                            ResolveMemberId(voucher->member_id(), batch));
  }
  if (owner != request.member_id()) return RewardNotFound();
  const std::string refusal = coupon != nullptr
                                  ? CouponRefusal(*coupon, now_ms)
                                  : VoucherRefusal(*voucher, now_ms);
  if (!refusal.empty()) return NotCancellable(refusal);

  const std::string& item_id =
      coupon != nullptr ? coupon->reward_item_id() : voucher->reward_item_id();
  const int64_t points =
      coupon != nullptr ? coupon->reward_points() : voucher->reward_points();
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_REWARD_CANCEL, points));
  const std::string item_key = RewardItemCountKey(item_id);
  const std::string member_key =
      RewardMemberCountKey(item_id, request.member_id());
  LEDGER_ASSIGN_OR_RETURN(
      RewardCount * item_count,
      batch.LoadRecord<RewardCount>(Family::kRewardCounts, item_key));
  LEDGER_ASSIGN_OR_RETURN(
      RewardCount * member_count,
      batch.LoadRecord<RewardCount>(Family::kRewardCounts, member_key));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_REWARD_CANCEL, request.member_id());
  entry.set_points_delta(points);
  // The points come back as a new lot, dated by the cancel.
  entry.set_lot_expires_at_ms(
      LotExpiresAtMs(rules.program.expiry(), rules.time_zone, now_ms));
  loyalty::v1::RewardCancelled* cancelled = entry.mutable_reward_cancelled();
  cancelled->set_item_id(item_id);
  cancelled->set_points(points);
  cancelled->set_code(request.code());
  cancelled->set_voucher(voucher != nullptr);
  if (voucher != nullptr) cancelled->set_voucher_units(voucher->units_left());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the folds'.
  LEDGER_CHECK(fold::FoldRewardCounts(appended, item_count, member_count).ok());
  batch.StageRecord(Family::kRewardCounts, item_key);
  batch.StageRecord(Family::kRewardCounts, member_key);

  loyalty::v1::CancelRewardResponse response;
  if (coupon != nullptr) {
    LEDGER_CHECK(fold::FoldRewardCancelOnCoupon(appended, coupon).ok());
    batch.StageRecord(Family::kCoupons, CouponKey(request.code()));
    *response.mutable_coupon() = CouponView(
        *coupon, FindCouponTemplate(rules.program, coupon->template_id()),
        now_ms);
  } else {
    LEDGER_CHECK(fold::FoldRewardCancelOnVoucher(appended, voucher).ok());
    batch.StageRecord(Family::kVouchers, VoucherKey(request.code()));
    *response.mutable_voucher() = VoucherView(
        *voucher, FindVoucherProduct(rules.program, voucher->product_id()),
        now_ms);
  }
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, now_ms, rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
