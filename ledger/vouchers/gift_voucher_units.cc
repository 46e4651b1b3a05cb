#include "ledger/vouchers/gift_voucher_units.h"

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
using loyalty::storage::v1::VoucherGiftRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

absl::Status GiftVoucherUnitsCommand::Prepare(const Rules& rules,
                                              int64_t now_ms, Request& request,
                                              Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  LEDGER_RETURN_IF_ERROR(ValidateVoucherUnits(request.units(), "units"));
  return ValidateText(request.note(), "note", kNoteLengthMax);
}

absl::Status GiftVoucherUnitsCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<GiftVoucherUnitsCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * voucher,
      LoadOwnedVoucher(request.code(), request.member_id(), batch));
  const loyalty::v1::VoucherProduct* product =
      FindVoucherProduct(rules.program, voucher->product_id());
  if (product == nullptr || product->gift_claim_days() == 0) {
    return VoucherRefused(
        loyalty::v1::ERROR_REASON_VOUCHER_GIFTS_NOT_ALLOWED,
        absl::StrCat("vouchers of product \"", voucher->product_id(),
                     "\" cannot be gifted"));
  }
  const int64_t now_ms = batch.now_ms();
  LEDGER_RETURN_IF_ERROR(CheckUnitsTakeable(*voucher, request.units(), now_ms));
  VoucherGiftRecord* gift = nullptr;
  LEDGER_ASSIGN_OR_RETURN(std::string claim_code, NewClaimCode(batch, &gift));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_VOUCHER_GIFT, request.member_id());
  entry.set_note(request.note());
  loyalty::v1::VoucherGifted* gifted = entry.mutable_voucher_gift();
  gifted->set_code(request.code());
  gifted->set_claim_code(claim_code);
  gifted->set_product_id(voucher->product_id());
  gifted->set_sku(voucher->sku());
  gifted->set_units(request.units());
  gifted->set_units_left_after(voucher->units_left() - request.units());
  gifted->set_claim_expires_at_ms(GiftClaimExpiresAtMs(
      *product, rules.time_zone, now_ms, voucher->expires_at_ms()));
  gifted->set_expires_at_ms(voucher->expires_at_ms());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, voucher, gift).ok());
  batch.StageRecord(Family::kVouchers, VoucherKey(request.code()));
  batch.StageRecord(Family::kVoucherGifts, VoucherGiftKey(claim_code));

  loyalty::v1::GiftVoucherUnitsResponse response;
  *response.mutable_gift() = VoucherGiftView(*gift, product);
  *response.mutable_voucher() = VoucherView(*voucher, product, now_ms);
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status ClaimVoucherGiftCommand::Prepare(const Rules& rules,
                                              int64_t now_ms, Request& request,
                                              Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.claim_code(), "claim_code"));
  request.set_claim_code(std::move(canonical));
  return absl::OkStatus();
}

absl::Status ClaimVoucherGiftCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<ClaimVoucherGiftCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * claimer,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_ASSIGN_OR_RETURN(
      VoucherGiftRecord * gift,
      batch.LoadRecord<VoucherGiftRecord>(
          Family::kVoucherGifts, VoucherGiftKey(request.claim_code())));
  if (gift->claim_code().empty()) return GiftNotFound();
  // The giver may have merged since. Settling it returns a gift whose
  // claim code has expired, so the state below is the gift's as of now.
  LEDGER_ASSIGN_OR_RETURN(std::string giver_id,
                          ResolveMemberId(gift->giver_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * giver,
                          SettleMember(giver_id, rules, batch));
  if (gift->state() != loyalty::v1::VOUCHER_GIFT_STATE_PENDING) {
    return VoucherRefused(
        loyalty::v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE,
        gift->state() == loyalty::v1::VOUCHER_GIFT_STATE_CLAIMED
            ? "the gift has been claimed"
            : "the gift was not claimed in time and went back to the giver");
  }
  // Invariant: a member with a pending gift is active (CloseMember refuses
  // one with voucher dues; a merge hands them on).
  LEDGER_CHECK(giver->status() == loyalty::v1::MEMBER_STATUS_ACTIVE);
  LEDGER_CHECK(batch.now_ms() < gift->claim_expires_at_ms());
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * source,
      batch.LoadRecord<VoucherRecord>(Family::kVouchers,
                                      VoucherKey(gift->voucher_code())));
  VoucherRecord* claimed = nullptr;
  LEDGER_ASSIGN_OR_RETURN(std::string claimed_code,
                          NewVoucherCode(batch, &claimed));

  LedgerEntry to_giver =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED, giver_id);
  to_giver.set_counterparty_member_id(request.member_id());
  loyalty::v1::VoucherGifted* g = to_giver.mutable_voucher_gift();
  g->set_code(gift->voucher_code());
  g->set_claim_code(gift->claim_code());
  g->set_product_id(gift->product_id());
  g->set_sku(gift->sku());
  g->set_units(gift->units());
  g->set_units_left_after(source->units_left());
  g->set_claim_expires_at_ms(gift->claim_expires_at_ms());
  g->set_expires_at_ms(gift->voucher_expires_at_ms());
  g->set_claimed_code(claimed_code);
  LedgerEntry to_claimer =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM, request.member_id());
  to_claimer.set_counterparty_member_id(giver_id);
  *to_claimer.mutable_voucher_gift() = *g;
  to_claimer.mutable_voucher_gift()->set_units_left_after(gift->units());

  // Pair assertion: a claim moves the gift's units and never creates any.
  const int64_t pending_before = source->units_gifted_pending();
  LedgerEntry appended_claimed = batch.Append(std::move(to_giver), giver);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended_claimed, source, gift).ok());
  LedgerEntry appended = batch.Append(std::move(to_claimer), claimer);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, claimed, gift).ok());
  LEDGER_CHECK(pending_before - source->units_gifted_pending() ==
               claimed->units_left());
  batch.StageRecord(Family::kVouchers, VoucherKey(gift->voucher_code()));
  batch.StageRecord(Family::kVouchers, VoucherKey(claimed_code));
  batch.StageRecord(Family::kVoucherGifts,
                    VoucherGiftKey(request.claim_code()));

  const loyalty::v1::VoucherProduct* product =
      FindVoucherProduct(rules.program, gift->product_id());
  loyalty::v1::ClaimVoucherGiftResponse response;
  *response.mutable_gift() = VoucherGiftView(*gift, product);
  *response.mutable_voucher() = VoucherView(*claimed, product, batch.now_ms());
  *response.mutable_entry_claimed() = std::move(appended_claimed);
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
