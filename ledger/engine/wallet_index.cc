#include "ledger/engine/wallet_index.h"

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

bool GivesWalletItem(loyalty::v1::EntryKind kind) {
  switch (kind) {
    case loyalty::v1::ENTRY_KIND_COUPON_ISSUE:
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
      return true;
    default:
      return false;
  }
}

std::optional<WalletRow> WalletRowOf(const loyalty::v1::LedgerEntry& entry) {
  if (!GivesWalletItem(entry.kind())) return std::nullopt;
  // Invariant: only entries of a member give something (a bearer code's
  // COUPON_GENERATE has no member and is not one of the kinds above).
  LEDGER_CHECK(!entry.member_id().empty());
  loyalty::storage::v1::WalletRef ref;
  ref.set_voucher(entry.kind() != loyalty::v1::ENTRY_KIND_COUPON_ISSUE);
  ref.set_code(ref.voucher() ? fold::VoucherCodeOf(entry)
                             : fold::CouponCodeOf(entry));
  WalletRow row;
  row.key = WalletKey(entry.member_id(), entry.sequence());
  // Deterministic: two fields, always serialized in field order, so the
  // verifier's bytes equal the writer's.
  row.value = ref.SerializeAsString();
  return row;
}

}  // namespace loyalty
