// File: ledger/offline/list_reconciliations.h
//
// ListOfflineReconciliations (an admin read): the entries of the offline
// reconciliations index (offline/offline_index.h), oldest first, a page at
// a time.
#ifndef LOYALTY_LEDGER_OFFLINE_LIST_RECONCILIATIONS_H_
#define LOYALTY_LEDGER_OFFLINE_LIST_RECONCILIATIONS_H_

#include "absl/status/statusor.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// InvalidArgument for a page size outside 0..500 or a token this server
// did not make for this list; DataLoss when an indexed entry cannot be
// read.
absl::StatusOr<loyalty::v1::ListOfflineReconciliationsResponse>
ListOfflineReconciliations(
    const StoreReader& store,
    const loyalty::v1::ListOfflineReconciliationsRequest& request);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_OFFLINE_LIST_RECONCILIATIONS_H_
