// File: ledger/read/wallet.h
//
// A member's wallet (ListWallet): the coupons and vouchers given to the
// member and to every member merged into it, read through the wallet index
// (engine/wallet_index.h) in entry-sequence order, oldest first. Each item
// is its coupon's or voucher's view as of the read (CouponView and
// VoucherView, as GetCoupon and GetVoucher answer it), so every channel
// sees the same wallet.
//
// Usable items: coupons USABLE, RESERVED or NOT_YET_VALID, vouchers USABLE.
// The others (used up, expired, cancelled; a voucher given away entirely is
// used up) are listed only with include_unusable.
//
// Paging: a call reads at most kWalletRowsScannedMax rows and stops early
// once a page is full; its token names the last row read, bound to the
// member id asked for, and the next call continues with the rows after it.
// Rows are never changed or erased and new ones have higher sequences, so
// every row that existed when the first page was asked for is read exactly
// once across the pages. A page may hold fewer items than page_size (rows
// skipped as unusable), even none, and still have a token.
#ifndef LOYALTY_LEDGER_READ_WALLET_H_
#define LOYALTY_LEDGER_READ_WALLET_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "ledger/engine/command.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Whether a wallet item is usable (see above).
bool IsUsableWalletItem(const loyalty::v1::WalletItem& item);

// One page of `owner`'s wallet (`owner` resolved: not merged away), with
// the rows after `after_sequence` (nullopt: from the first). `request` is
// validated (ValidateListWallet); its member_id is the one the token is
// bound to. DataLoss when a row is malformed or names a coupon or voucher
// that is missing or not its member's.
absl::StatusOr<loyalty::v1::ListWalletResponse> ListWalletOf(
    const StoreReader& store, const Rules& rules,
    const loyalty::storage::v1::MemberRecord& owner,
    const loyalty::v1::ListWalletRequest& request,
    std::optional<uint64_t> after_sequence, int64_t now_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_WALLET_H_
