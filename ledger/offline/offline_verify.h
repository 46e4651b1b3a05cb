// File: ledger/offline/offline_verify.h
//
// The offline reconciliations' part of VerifyLedger (read/verify_part.h):
// the family is exactly the rows the entries give (offline_index.h, the
// function the writer uses), both ways. The members' offline day counts
// are part of the member record the generic walk re-derives.
#ifndef LOYALTY_LEDGER_OFFLINE_OFFLINE_VERIFY_H_
#define LOYALTY_LEDGER_OFFLINE_OFFLINE_VERIFY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class OfflineVerifyPart final : public VerifyPart {
 public:
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override {}
  // Records the row an offline redemption reconciled short must have.
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // The family against the rows recorded, both ways.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  // EntryKey -> "" (the family's rows have empty values).
  absl::flat_hash_map<std::string, std::string> expected_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_OFFLINE_OFFLINE_VERIFY_H_
