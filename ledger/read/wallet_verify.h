// File: ledger/read/wallet_verify.h
//
// The wallet's part of VerifyLedger (read/verify_part.h): the wallet family
// is exactly the rows the entries give (engine/wallet_index.h, the function
// the writer uses): every expected row stored with its value, and no other
// row.
#ifndef LOYALTY_LEDGER_READ_WALLET_VERIFY_H_
#define LOYALTY_LEDGER_READ_WALLET_VERIFY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class WalletVerifyPart final : public VerifyPart {
 public:
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override {}
  // Records the row an entry that gives its member something must have.
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // The wallet family against the rows recorded, both ways.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  // WalletKey -> serialized WalletRef.
  absl::flat_hash_map<std::string, std::string> expected_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_WALLET_VERIFY_H_
