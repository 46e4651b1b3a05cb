#include "ledger/offline/offline_verify.h"

#include <optional>
#include <utility>

#include "ledger/offline/offline_index.h"

namespace loyalty {

void OfflineVerifyPart::AfterFold(
    const loyalty::v1::LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& /*storage*/,
    Problems& /*problems*/) {
  if (std::optional<std::string> key = OfflineReconciliationKeyOf(entry)) {
    expected_[std::move(*key)] = "";
  }
}

absl::Status OfflineVerifyPart::Finish(const StoreReader& store,
                                       const ReplayedMembers& /*members*/,
                                       Problems& problems) {
  return CheckFamilyMatches(store, Family::kOfflineReconciliations, expected_,
                            "offline_reconciliations", problems);
}

}  // namespace loyalty
