// File: ledger/offline/offline_index.h
//
// The offline reconciliations index (family offline_reconciliations): one
// row per offline redemption the ledger did not apply as the till did
// (outcome DEBT, REFUSED_SHORT or REFUSED_OVER_ALLOWANCE), keyed by the
// entry's sequence, so an operator lists them oldest first without reading
// the ledger. Like the wallet index it follows from the entry alone:
// Batch::Append writes it and VerifyLedger re-derives it with the same
// function. A row is never changed or erased.
#ifndef LOYALTY_LEDGER_OFFLINE_OFFLINE_INDEX_H_
#define LOYALTY_LEDGER_OFFLINE_OFFLINE_INDEX_H_

#include <optional>
#include <string>

#include "loyalty/v1/common.pb.h"

namespace loyalty {

// The row's key (EntryKey of its sequence; the value is empty), or nullopt
// when the entry is no offline redemption reconciled short. The entry must
// be appended (sequence set).
std::optional<std::string> OfflineReconciliationKeyOf(
    const loyalty::v1::LedgerEntry& entry);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_OFFLINE_OFFLINE_INDEX_H_
