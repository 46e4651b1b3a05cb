// File: ledger/engine/wallet_index.h
//
// The wallet index (family wallet): one row per entry that gives a member a
// coupon or a voucher, keyed WalletKey(member, sequence) with the
// WalletRef{code, voucher} it gave. Like the statement index it is derived
// from the entry alone, so Batch::Append writes it for every entry it
// appends, whatever command decided the entry, and VerifyLedger re-derives
// it from the same function (read/wallet_verify.h): the two cannot
// disagree. A row is never changed or erased; readers load the coupon or
// voucher it names for its state, and a merge writes no rows (the wallet
// reads the target's and its merged members' keys).
//
// The kinds that give a member something: COUPON_ISSUE (a coupon issued to
// the member; bearer codes come from COUPON_GENERATE, which has no member
// and no row), VOUCHER_ISSUE (a voucher bought), VOUCHER_TRANSFER_IN (the
// receiver's new code) and VOUCHER_CLAIM (the claimer's new code).
#ifndef LOYALTY_LEDGER_ENGINE_WALLET_INDEX_H_
#define LOYALTY_LEDGER_ENGINE_WALLET_INDEX_H_

#include <optional>
#include <string>

#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// Whether an entry of `kind` gives its member a coupon or voucher.
bool GivesWalletItem(loyalty::v1::EntryKind kind);

// The wallet row `entry` writes: its key and value (a serialized
// WalletRef), or nullopt when the entry gives its member nothing. The
// entry must be appended (sequence set) and of a member.
struct WalletRow {
  std::string key;
  std::string value;
};
std::optional<WalletRow> WalletRowOf(const loyalty::v1::LedgerEntry& entry);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_WALLET_INDEX_H_
