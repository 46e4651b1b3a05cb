// File: ledger/points/points_verify.h
//
// The points domain's part of VerifyLedger (read/verify_part.h): no EXPIRE
// was written before its lot's expiry, every order record is the fold of
// the entries naming the order (orders.h), both ways, and the schedule
// lists exactly each member's next due time. The head's campaign totals are
// checked with the rest of the head, in read/verify.cc.
#ifndef LOYALTY_LEDGER_POINTS_POINTS_VERIFY_H_
#define LOYALTY_LEDGER_POINTS_POINTS_VERIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class PointsVerifyPart final : public VerifyPart {
 public:
  // Checks an EXPIRE's times: they are the entry's own, so before the fold.
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override;
  // Folds an entry that touches an order into that order's record.
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // The orders family, then the schedule family.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

  // Makes every order of member `from` an order of member `to`, as a merge
  // does (the members domain's part calls it on a well-paired MERGE_IN).
  void MoveOrders(const std::string& from, const std::string& to,
                  Problems& problems);

 private:
  // By OrderKey(member, order id), as the orders family keys them.
  absl::flat_hash_map<std::string, loyalty::storage::v1::OrderRecord>
      order_records_;
  // Each member's order ids (keys of order_records_), to move on a merge.
  absl::flat_hash_map<std::string, std::vector<std::string>> order_ids_of_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_POINTS_VERIFY_H_
