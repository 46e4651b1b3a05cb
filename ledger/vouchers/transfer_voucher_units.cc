#include "ledger/vouchers/transfer_voucher_units.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
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

absl::Status TransferVoucherUnitsCommand::Prepare(const Rules& rules,
                                                  int64_t now_ms,
                                                  Request& request,
                                                  Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.to_member_id(), "to_member_id"));
  if (request.to_member_id() == request.member_id()) {
    return InvalidField("to_member_id", "must differ from member_id");
  }
  LEDGER_RETURN_IF_ERROR(ValidateVoucherUnits(request.units(), "units"));
  return ValidateText(request.note(), "note", kNoteLengthMax);
}

absl::Status TransferVoucherUnitsCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<TransferVoucherUnitsCommand>& command) {
  auto& request = command.request;
  // Both ids resolve; if they resolve to one member, it would give to itself.
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_to_member_id(), batch));
  if (request.member_id() == request.to_member_id()) {
    return NamesMergedMember(
        absl::StrCat("to_member_id: resolves to \"", request.to_member_id(),
                     "\", the giver (one was merged into the other)"));
  }
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * from,
      LoadNamed(LoadSettled(request.member_id(), rules, batch), "member_id",
                request.member_id()));
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * to,
      LoadNamed(LoadSettled(request.to_member_id(), rules, batch),
                "to_member_id", request.to_member_id()));
  // Invariant: the ids differ, so the records do.
  LEDGER_CHECK(from != to);
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * source,
      LoadOwnedVoucher(request.code(), request.member_id(), batch));
  const int64_t now_ms = batch.now_ms();
  const int64_t units = request.units();
  LEDGER_RETURN_IF_ERROR(CheckUnitsTakeable(*source, units, now_ms));
  VoucherRecord* received = nullptr;
  LEDGER_ASSIGN_OR_RETURN(std::string received_code,
                          NewVoucherCode(batch, &received));

  // Pair assertion: a transfer moves units and never creates them.
  const int64_t left_before = source->units_left();
  LedgerEntry out = EntryFor(request.context(), command.principal,
                             loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT,
                             request.member_id());
  out.set_counterparty_member_id(request.to_member_id());
  out.set_note(request.note());
  loyalty::v1::VoucherTransferred* moved = out.mutable_voucher_transferred();
  moved->set_code(request.code());
  moved->set_counterpart_code(received_code);
  moved->set_product_id(source->product_id());
  moved->set_sku(source->sku());
  moved->set_units(units);
  moved->set_units_left_after(left_before - units);
  moved->set_expires_at_ms(source->expires_at_ms());
  LedgerEntry in = EntryFor(request.context(), command.principal,
                            loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN,
                            request.to_member_id());
  in.set_counterparty_member_id(request.member_id());
  in.set_note(request.note());
  *in.mutable_voucher_transferred() = *moved;
  in.mutable_voucher_transferred()->set_code(received_code);
  in.mutable_voucher_transferred()->set_counterpart_code(request.code());
  in.mutable_voucher_transferred()->set_units_left_after(units);

  LedgerEntry appended_out = batch.Append(std::move(out), from);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended_out, source, nullptr).ok());
  LedgerEntry appended_in = batch.Append(std::move(in), to);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended_in, received, nullptr).ok());
  LEDGER_CHECK(source->units_left() + received->units_left() == left_before);
  batch.StageRecord(Family::kVouchers, VoucherKey(request.code()));
  batch.StageRecord(Family::kVouchers, VoucherKey(received_code));

  const loyalty::v1::VoucherProduct* product =
      FindVoucherProduct(rules.program, source->product_id());
  loyalty::v1::TransferVoucherUnitsResponse response;
  *response.mutable_voucher() = VoucherView(*source, product, now_ms);
  *response.mutable_received() = VoucherView(*received, product, now_ms);
  *response.mutable_entry_out() = std::move(appended_out);
  *response.mutable_entry_in() = std::move(appended_in);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
