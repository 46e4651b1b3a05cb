#include "ledger/vouchers/voucher_time.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::VoucherDue;
using loyalty::storage::v1::VoucherGiftRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

namespace {

LedgerEntry SystemEntry(const MemberRecord& member, loyalty::v1::EntryKind kind,
                        int64_t due_ms) {
  LedgerEntry entry;
  entry.set_member_id(member.member_id());
  entry.set_kind(kind);
  entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
  entry.set_principal(std::string(kSystemPrincipal));
  entry.set_occurred_at_ms(due_ms);
  return entry;
}

absl::Status ReturnGift(const VoucherDue& due, MemberRecord* member,
                        Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(
      VoucherGiftRecord * gift,
      batch.LoadRecord<VoucherGiftRecord>(Family::kVoucherGifts,
                                          VoucherGiftKey(due.code())));
  // Invariant: a gift falls due while it is pending, at its claim expiry.
  LEDGER_CHECK(gift->state() == loyalty::v1::VOUCHER_GIFT_STATE_PENDING);
  LEDGER_CHECK(gift->claim_expires_at_ms() == due.due_ms());
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * voucher,
      batch.LoadRecord<VoucherRecord>(Family::kVouchers,
                                      VoucherKey(gift->voucher_code())));
  LedgerEntry entry = SystemEntry(
      *member, loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_RETURN, due.due_ms());
  loyalty::v1::VoucherGifted* returned = entry.mutable_voucher_gift();
  returned->set_code(gift->voucher_code());
  returned->set_claim_code(gift->claim_code());
  returned->set_product_id(gift->product_id());
  returned->set_sku(gift->sku());
  returned->set_units(gift->units());
  returned->set_units_left_after(voucher->units_left() + gift->units());
  returned->set_claim_expires_at_ms(gift->claim_expires_at_ms());
  returned->set_expires_at_ms(gift->voucher_expires_at_ms());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, voucher, gift).ok());
  batch.StageRecord(Family::kVouchers, VoucherKey(gift->voucher_code()));
  batch.StageRecord(Family::kVoucherGifts, VoucherGiftKey(due.code()));
  return absl::OkStatus();
}

absl::Status ExpireUnits(const VoucherDue& due, MemberRecord* member,
                         Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(VoucherRecord * voucher,
                          batch.LoadRecord<VoucherRecord>(
                              Family::kVouchers, VoucherKey(due.code())));
  // Invariant: a voucher falls due with units left, at its expiry.
  LEDGER_CHECK(voucher->units_left() > 0);
  LEDGER_CHECK(voucher->expires_at_ms() == due.due_ms());
  LedgerEntry entry = SystemEntry(
      *member, loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE, due.due_ms());
  loyalty::v1::VoucherExpired* expired = entry.mutable_voucher_expired();
  expired->set_code(voucher->code());
  expired->set_product_id(voucher->product_id());
  expired->set_units(voucher->units_left());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, voucher, nullptr).ok());
  batch.StageRecord(Family::kVouchers, VoucherKey(due.code()));
  return absl::OkStatus();
}

}  // namespace

absl::Status SettleVoucherDues(MemberRecord* member, Batch& batch) {
  while (member->voucher_dues_size() > 0 &&
         member->voucher_dues(0).due_ms() <= batch.now_ms()) {
    // A copy: appending the entry removes the item from the member.
    const VoucherDue due = member->voucher_dues(0);
    LEDGER_RETURN_IF_ERROR(due.is_gift() ? ReturnGift(due, member, batch)
                                         : ExpireUnits(due, member, batch));
  }
  return absl::OkStatus();
}

}  // namespace loyalty
