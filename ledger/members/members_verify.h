// File: ledger/members/members_verify.h
//
// The members domain's part of VerifyLedger (read/verify_part.h):
// identifiers point where the entries say (ENROLL and LINK add, UNLINK and
// CLOSE remove); every TRANSFER_OUT is followed at once by its TRANSFER_IN,
// and every MERGE_OUT by its MERGE_IN, which carries exactly the source's
// replayed state. A merge also moves the source's orders to the target,
// which the points part keeps: this part tells it when.
#ifndef LOYALTY_LEDGER_MEMBERS_MEMBERS_VERIFY_H_
#define LOYALTY_LEDGER_MEMBERS_MEMBERS_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/points/points_verify.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class MembersVerifyPart final : public VerifyPart {
 public:
  // `points` receives the order moves of well-paired merges.
  explicit MembersVerifyPart(PointsVerifyPart& points) : points_(points) {}

  // Keeps a MERGE_OUT's source state, which its MERGE_IN must carry.
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override;
  // Follows identifiers, then checks transfer and merge pairs.
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // A pair left open by the last entry, then the identifiers family.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  void CheckTransferPair(const loyalty::v1::LedgerEntry& entry,
                         Problems& problems);
  void CheckMergePair(const loyalty::v1::LedgerEntry& entry,
                      const loyalty::storage::v1::EntryStorageFields& storage,
                      Problems& problems);

  PointsVerifyPart& points_;
  // IdentifierKey -> member id, as the identifiers family keys them.
  absl::flat_hash_map<std::string, std::string> identifiers_;
  // The last entry, when it was a TRANSFER_OUT still waiting for its IN.
  std::optional<loyalty::v1::LedgerEntry> pending_transfer_out_;
  // Likewise for merges, with the source's state just before its MERGE_OUT.
  std::optional<loyalty::v1::LedgerEntry> pending_merge_out_;
  loyalty::storage::v1::MemberRecord merge_source_before_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_MEMBERS_VERIFY_H_
