#include "ledger/coupons/issue_coupon.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"

namespace loyalty {

using loyalty::storage::v1::CouponCount;
using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status IssueCouponCommand::Prepare(const Rules& rules, int64_t now_ms,
                                         Request& request, Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  return ValidateId(request.template_id(), "template_id");
}

absl::Status IssueCouponCommand::Decide(const Rules& rules, Batch& batch,
                                        Queued<IssueCouponCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, request.template_id());
  if (coupon_template == nullptr) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("template_id: the program has no "
                                         "coupon template \"",
                                         request.template_id(), "\"")),
        loyalty::v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
  }
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const std::string template_key =
      CouponTemplateCountKey(request.template_id());
  const std::string member_key =
      CouponMemberCountKey(request.template_id(), request.member_id());
  LEDGER_ASSIGN_OR_RETURN(
      CouponCount * template_count,
      batch.LoadRecord<CouponCount>(Family::kCouponCounts, template_key));
  LEDGER_ASSIGN_OR_RETURN(
      CouponCount * member_count,
      batch.LoadRecord<CouponCount>(Family::kCouponCounts, member_key));
  if (coupon_template->issuance_budget() != 0 &&
      template_count->issued() >= coupon_template->issuance_budget()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT,
        absl::StrCat("template \"", request.template_id(),
                     "\" has issued its budget of ",
                     coupon_template->issuance_budget(), " coupons"));
  }
  if (coupon_template->per_member_limit() != 0 &&
      member_count->issued() >= coupon_template->per_member_limit()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_LIMIT_REACHED,
        absl::StrCat("member \"", request.member_id(), "\" has ",
                     member_count->issued(), " coupons of template \"",
                     request.template_id(), "\", its limit"));
  }

  // 80 random bits collide with one of a billion codes about once in 10^15
  // draws; drawing again makes the code unique for certain.
  std::string code;
  CouponRecord* coupon = nullptr;
  do {
    code = NewCouponCode();
    LEDGER_ASSIGN_OR_RETURN(
        coupon, batch.LoadRecord<CouponRecord>(Family::kCoupons,
                                               CouponKey(code)));
  } while (!coupon->code().empty());

  const CouponWindow window =
      CouponWindowFor(*coupon_template, rules.time_zone, batch.now_ms());
  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_COUPON_ISSUE, request.member_id());
  loyalty::v1::CouponIssued* issued = entry.mutable_coupon_issued();
  issued->set_code(code);
  issued->set_template_id(request.template_id());
  issued->set_valid_from_ms(window.valid_from_ms);
  issued->set_valid_until_ms(window.valid_until_ms);
  issued->set_uses_allowed(CouponUsesAllowed(*coupon_template));
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(
      fold::FoldCouponEntry(appended, coupon, template_count, member_count)
          .ok());
  batch.StageRecord(Family::kCoupons, CouponKey(code));
  batch.StageRecord(Family::kCouponCounts, template_key);
  batch.StageRecord(Family::kCouponCounts, member_key);

  loyalty::v1::IssueCouponResponse response;
  *response.mutable_coupon() =
      CouponView(*coupon, coupon_template, batch.now_ms());
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
