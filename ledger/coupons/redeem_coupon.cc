#include "ledger/coupons/redeem_coupon.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/bearer_coupons.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"

namespace loyalty {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status RedeemCouponCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  return ValidateToken(request.order_id(), "order_id", kIdLengthMax, true);
}

absl::Status RedeemCouponCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<RedeemCouponCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  // The member first, as for every write: a closed member is told so
  // whatever the code (which says nothing about the code).
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(
      CouponRecord * coupon,
      batch.LoadRecord<CouponRecord>(Family::kCoupons,
                                     CouponKey(request.code())));
  if (coupon->code().empty()) return CouponNotFound();
  LEDGER_RETURN_IF_ERROR(CheckPresentedBy(*coupon, request.member_id(), batch));

  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, coupon->template_id());
  const int64_t now_ms = batch.now_ms();
  LEDGER_RETURN_IF_ERROR(CheckCouponRedeemable(*coupon, coupon_template,
                                               now_ms, request.context()));
  LEDGER_ASSIGN_OR_RETURN(const int64_t bearer_uses,
                          BearerUsesOf(*coupon, request.member_id(), batch));
  LEDGER_RETURN_IF_ERROR(CheckBearerLimit(*coupon, coupon_template,
                                          request.member_id(), bearer_uses));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_COUPON_REDEEM, request.member_id());
  entry.set_order_id(request.order_id());
  loyalty::v1::CouponRedeemed* redeemed = entry.mutable_coupon_redeemed();
  redeemed->set_code(request.code());
  redeemed->set_template_id(coupon->template_id());
  redeemed->set_uses_after(coupon->uses() + 1);
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(
      fold::FoldCouponEntry(appended, coupon, nullptr, nullptr).ok());
  batch.StageRecord(Family::kCoupons, CouponKey(request.code()));
  RecordBearerUse(appended, *coupon, batch);

  loyalty::v1::RedeemCouponResponse response;
  *response.mutable_coupon() = CouponView(*coupon, coupon_template, now_ms);
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
