#include "ledger/vouchers/voucher_rules.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/engine/rule_support.h"
#include "ledger/vouchers/products.h"

namespace loyalty {

using loyalty::storage::v1::VoucherRecord;

absl::Status VoucherNotFound() {
  return WithReason(absl::NotFoundError("code: no such voucher"),
                    loyalty::v1::ERROR_REASON_VOUCHER_NOT_FOUND);
}

absl::Status VoucherRefused(loyalty::v1::ErrorReason reason,
                            absl::string_view message) {
  return WithReason(absl::FailedPreconditionError(message), reason);
}

absl::StatusOr<VoucherRecord*> LoadOwnedVoucher(const std::string& code,
                                                const std::string& member_id,
                                                Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(
      VoucherRecord * voucher,
      batch.LoadRecord<VoucherRecord>(Family::kVouchers, VoucherKey(code)));
  if (voucher->code().empty()) return VoucherNotFound();
  // The owner may have been merged into the presenting member since.
  LEDGER_ASSIGN_OR_RETURN(std::string owner,
                          ResolveMemberId(voucher->member_id(), batch));
  if (owner != member_id) return VoucherNotFound();
  return voucher;
}

absl::Status CheckUnitsTakeable(const VoucherRecord& voucher, int64_t units,
                                int64_t now_ms) {
  if (now_ms >= voucher.expires_at_ms()) {
    return VoucherRefused(loyalty::v1::ERROR_REASON_VOUCHER_EXPIRED,
                          "the voucher has expired");
  }
  if (units > voucher.units_left()) {
    return VoucherRefused(loyalty::v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW,
                          absl::StrCat("the voucher has ", voucher.units_left(),
                                       " units left, ", units, " asked"));
  }
  return absl::OkStatus();
}

absl::Status ValidateVoucherUnits(int64_t units, absl::string_view field) {
  if (units < 1 || units > kVoucherUnitsMax) {
    return InvalidField(
        field, absl::StrCat("must be between 1 and ", kVoucherUnitsMax));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NewVoucherCode(Batch& batch,
                                           VoucherRecord** record) {
  // 80 random bits collide with one of a billion codes about once in 10^15
  // draws; drawing again makes the code unique for certain.
  std::string code;
  do {
    code = NewCouponCode(batch.random());
    LEDGER_ASSIGN_OR_RETURN(*record, batch.LoadRecord<VoucherRecord>(
                                         Family::kVouchers, VoucherKey(code)));
  } while (!(*record)->code().empty());
  return code;
}

absl::StatusOr<std::string> NewClaimCode(
    Batch& batch, loyalty::storage::v1::VoucherGiftRecord** record) {
  std::string code;
  do {
    code = NewCouponCode(batch.random());
    LEDGER_ASSIGN_OR_RETURN(
        *record, batch.LoadRecord<loyalty::storage::v1::VoucherGiftRecord>(
                     Family::kVoucherGifts, VoucherGiftKey(code)));
  } while (!(*record)->claim_code().empty());
  return code;
}

absl::Status GiftNotFound() {
  return WithReason(absl::NotFoundError("claim_code: no such gift"),
                    loyalty::v1::ERROR_REASON_VOUCHER_NOT_FOUND);
}

}  // namespace loyalty
