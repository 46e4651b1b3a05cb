#include "ledger/points/points_verify.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/points/orders.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

void PointsVerifyPart::BeforeFold(uint64_t key_sequence,
                                  const LedgerEntry& entry,
                                  const MemberRecord& /*member_before*/,
                                  Problems& problems) {
  if (entry.kind() == loyalty::v1::ENTRY_KIND_EXPIRE &&
      entry.recorded_at_ms() < entry.lot_expires_at_ms()) {
    problems.Add(absl::StrCat("entry ", key_sequence,
                              ": EXPIRE written before its lot's expiry"));
  }
}

void PointsVerifyPart::AfterFold(const LedgerEntry& entry,
                                 const loyalty::storage::v1::EntryStorageFields& storage,
                                 Problems& problems) {
  if (!TouchesOrder(entry)) return;
  auto [order, inserted] =
      order_records_.try_emplace(OrderKey(entry.member_id(), entry.order_id()));
  if (inserted) order_ids_of_[entry.member_id()].push_back(entry.order_id());
  absl::Status folded = FoldOrderEntry(entry, &order->second);
  if (!folded.ok()) problems.Add(std::string(folded.message()));
}

absl::Status PointsVerifyPart::Finish(const StoreReader& store,
                                      const ReplayedMembers& members,
                                      Problems& problems) {
  absl::flat_hash_map<std::string, std::string> orders;
  for (const auto& [key, record] : order_records_) {
    orders[key] = record.SerializeAsString();
  }
  LEDGER_RETURN_IF_ERROR(
      CheckFamilyMatches(store, Family::kOrders, orders, "order", problems));
  absl::flat_hash_map<std::string, std::string> schedule;
  for (const auto& [member_id, record] : members) {
    if (record.next_due_ms() != 0) {
      schedule[ScheduleKey(record.next_due_ms(), member_id)] = "";
    }
  }
  return CheckFamilyMatches(store, Family::kSchedule, schedule, "schedule",
                            problems);
}

void PointsVerifyPart::MoveOrders(const std::string& from,
                                  const std::string& to, Problems& problems) {
  auto from_ids = order_ids_of_.find(from);
  if (from_ids == order_ids_of_.end()) return;
  std::vector<std::string> order_ids = std::move(from_ids->second);
  order_ids_of_.erase(from_ids);
  std::vector<std::string>& to_ids = order_ids_of_[to];
  for (const std::string& order_id : order_ids) {
    auto moved = order_records_.extract(OrderKey(from, order_id));
    // Ids are listed as their records are made, so this is defensive.
    if (moved.empty()) continue;
    const std::string new_key = OrderKey(to, order_id);
    if (order_records_.contains(new_key)) {
      problems.Add(absl::StrCat("order \"", order_id, "\" of member ", from,
                                " merged into ", to, ", which has it too"));
      continue;
    }
    order_records_[new_key] = std::move(moved.mapped());
    to_ids.push_back(order_id);
  }
}

}  // namespace loyalty
