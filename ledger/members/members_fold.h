// File: ledger/members/members_fold.h
//
// The members domain's part of the fold (engine/fold.h): ENROLL, LINK,
// UNLINK, TRANSFER_OUT, TRANSFER_IN, CLOSE, MERGE_OUT and MERGE_IN. Writer
// and VerifyLedger alike.
#ifndef LOYALTY_LEDGER_MEMBERS_MEMBERS_FOLD_H_
#define LOYALTY_LEDGER_MEMBERS_MEMBERS_FOLD_H_

#include "absl/status/status.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

// Whether `kind` is one FoldMemberEntry applies.
bool IsMemberEntry(loyalty::v1::EntryKind kind);

// An ENROLL into an empty record.
absl::Status FoldEnroll(const loyalty::v1::LedgerEntry& entry,
                        loyalty::storage::v1::MemberRecord* m);

// Any other entry of the members domain (IsMemberEntry).
absl::Status FoldMemberEntry(const loyalty::v1::LedgerEntry& entry,
                             const loyalty::storage::v1::EntryStorageFields& storage,
                             loyalty::storage::v1::MemberRecord* m);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_MEMBERS_MEMBERS_FOLD_H_
