#include "ledger/coupons/issue_coupon.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/coupon_issuance.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;

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
  LEDGER_ASSIGN_OR_RETURN(
      IssuedCoupon issued,
      IssueCouponTo(
          rules, *coupon_template,
          EntryFor(request.context(), command.principal,
                   loyalty::v1::ENTRY_KIND_COUPON_ISSUE, request.member_id()),
          member, batch));

  loyalty::v1::IssueCouponResponse response;
  *response.mutable_coupon() =
      CouponView(*issued.coupon, coupon_template, batch.now_ms());
  *response.mutable_entry() = std::move(issued.entry);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
