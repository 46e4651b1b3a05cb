#include "ledger/vouchers/refund_voucher_units.h"

#include <string>

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/vouchers/products.h"
#include "ledger/vouchers/voucher_rules.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

absl::Status RefundVoucherUnitsCommand::Prepare(const Rules& rules,
                                                int64_t now_ms,
                                                Request& request,
                                                Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  return ValidateVoucherUnits(request.units(), "units");
}

absl::Status RefundVoucherUnitsCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<RefundVoucherUnitsCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * voucher,
      LoadOwnedVoucher(request.code(), request.member_id(), batch));
  if (!voucher->refundable() || voucher->order_id().empty()) {
    return VoucherRefused(
        loyalty::v1::ERROR_REASON_VOUCHER_NOT_REFUNDABLE,
        voucher->order_id().empty()
            ? "the voucher was received, not bought: only its buyer's "
              "voucher can be refunded"
            : "vouchers of this product cannot be refunded");
  }
  const int64_t now_ms = batch.now_ms();
  LEDGER_RETURN_IF_ERROR(CheckUnitsTakeable(*voucher, request.units(), now_ms));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_VOUCHER_REFUND, request.member_id());
  entry.set_order_id(voucher->order_id());
  loyalty::v1::VoucherRefunded* refunded = entry.mutable_voucher_refunded();
  refunded->set_code(request.code());
  refunded->set_product_id(voucher->product_id());
  refunded->set_units(request.units());
  refunded->set_units_left_after(voucher->units_left() - request.units());
  refunded->set_refund_minor(fold::RefundMinorFor(*voucher, request.units()));
  refunded->set_currency(voucher->currency());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, voucher, nullptr).ok());
  batch.StageRecord(Family::kVouchers, VoucherKey(request.code()));

  loyalty::v1::RefundVoucherUnitsResponse response;
  response.mutable_refund()->set_amount_minor(
      appended.voucher_refunded().refund_minor());
  response.mutable_refund()->set_currency(voucher->currency());
  *response.mutable_voucher() = VoucherView(
      *voucher, FindVoucherProduct(rules.program, voucher->product_id()),
      now_ms);
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
