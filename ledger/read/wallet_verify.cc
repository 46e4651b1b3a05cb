#include "ledger/read/wallet_verify.h"

#include <optional>
#include <utility>

#include "ledger/engine/wallet_index.h"

namespace loyalty {

void WalletVerifyPart::AfterFold(
    const loyalty::v1::LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& /*storage*/,
    Problems& /*problems*/) {
  // An entry of no member gives nobody anything (and a member-less entry of
  // a giving kind is already a shape problem of the generic walk).
  if (entry.member_id().empty()) return;
  if (std::optional<WalletRow> row = WalletRowOf(entry)) {
    expected_[std::move(row->key)] = std::move(row->value);
  }
}

absl::Status WalletVerifyPart::Finish(const StoreReader& store,
                                      const ReplayedMembers& /*members*/,
                                      Problems& problems) {
  return CheckFamilyMatches(store, Family::kWallet, expected_, "wallet",
                            problems);
}

}  // namespace loyalty
