#include "ledger/offline/offline_index.h"

#include "ledger/common/keys.h"
#include "ledger/offline/offline_fold.h"

namespace loyalty {

std::optional<std::string> OfflineReconciliationKeyOf(
    const loyalty::v1::LedgerEntry& entry) {
  if (!fold::IsOfflineRedemptionEntry(entry) ||
      entry.offline_redemption().outcome() ==
          loyalty::v1::OFFLINE_OUTCOME_APPLIED) {
    return std::nullopt;
  }
  return EntryKey(entry.sequence());
}

}  // namespace loyalty
