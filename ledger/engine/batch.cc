#include "ledger/engine/batch.h"

#include "absl/algorithm/container.h"
#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/wallet_index.h"
#include "ledger/offline/offline_index.h"
#include "ledger/points/orders.h"
#include "ledger/points/time_driven.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status MemberNotFound(absl::string_view member_id) {
  return WithReason(absl::NotFoundError(absl::StrCat("member_id: no member \"",
                                                     member_id, "\"")),
                    loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND);
}

absl::Status Undecodable(absl::string_view what, absl::string_view key) {
  return absl::DataLossError(
      absl::StrCat("stored ", what, " \"", key, "\" cannot be decoded"));
}

}  // namespace

absl::StatusOr<MemberRecord*> Batch::LoadMember(absl::string_view member_id) {
  std::string key(member_id);
  auto it = members_.find(key);
  if (it != members_.end()) {
    if (it->second.member_id().empty()) return MemberNotFound(member_id);
    return &it->second;
  }
  LEDGER_ASSIGN_OR_RETURN(MemberRecord record, ReadMember(key));
  stored_due_ms_[key] = record.next_due_ms();
  return &(members_[key] = std::move(record));
}

absl::StatusOr<MemberRecord> Batch::ReadMember(const std::string& member_id) {
  if (cache_ != nullptr) {
    if (cache_use_ == CacheUse::kTake) {
      std::optional<MemberRecord> cached = cache_->Take(member_id);
      if (cached.has_value()) return std::move(*cached);
    } else if (const MemberRecord* cached = cache_->Peek(member_id)) {
      return *cached;
    }
  }
  absl::StatusOr<std::string> bytes =
      store_->Get(Family::kMembers, MemberKey(member_id));
  if (absl::IsNotFound(bytes.status())) return MemberNotFound(member_id);
  if (!bytes.ok()) return bytes.status();
  MemberRecord record;
  if (!record.ParseFromString(*bytes)) return Undecodable("member", member_id);
  return record;
}

absl::StatusOr<bool> Batch::MemberExists(absl::string_view member_id) {
  absl::StatusOr<MemberRecord*> member = LoadMember(member_id);
  if (member.ok()) return true;
  if (absl::IsNotFound(member.status())) return false;
  return member.status();
}

absl::StatusOr<std::optional<loyalty::storage::v1::RequestRecord>>
Batch::FindRequest(const std::string& request_key) {
  auto it = requests_.find(request_key);
  if (it != requests_.end()) return it->second;
  absl::StatusOr<std::string> bytes =
      store_->Get(Family::kRequests, request_key);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  if (!bytes.ok()) return bytes.status();
  loyalty::storage::v1::RequestRecord record;
  if (!record.ParseFromString(*bytes)) {
    return Undecodable("request record", request_key);
  }
  return record;
}

absl::StatusOr<std::optional<std::string>> Batch::FindIdentifierOwner(
    const std::string& identifier_key) {
  auto it = identifiers_.find(identifier_key);
  if (it != identifiers_.end()) {
    if (it->second.empty()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::string> owner =
      store_->Get(Family::kIdentifiers, identifier_key);
  if (absl::IsNotFound(owner.status())) return std::nullopt;
  if (!owner.ok()) return owner.status();
  return *owner;
}

absl::StatusOr<loyalty::storage::v1::OrderRecord*> Batch::LoadOrder(
    const std::string& order_key) {
  auto it = orders_.find(order_key);
  if (it != orders_.end()) return &it->second;
  absl::StatusOr<std::string> bytes = store_->Get(Family::kOrders, order_key);
  loyalty::storage::v1::OrderRecord record;
  if (bytes.ok()) {
    if (!record.ParseFromString(*bytes)) return Undecodable("order", order_key);
  } else if (!absl::IsNotFound(bytes.status())) {
    return bytes.status();
  }
  return &(orders_[order_key] = std::move(record));
}

absl::StatusOr<bool> Batch::IsEntryOf(const MemberRecord& member,
                                      uint64_t sequence,
                                      loyalty::v1::EntryKind kind) {
  std::string holder;
  auto it = settleable_appended_.find(sequence);
  if (it != settleable_appended_.end()) {
    if (it->second.second != kind) return false;
    holder = it->second.first;
  } else {
    absl::StatusOr<std::string> bytes =
        store_->Get(Family::kEntries, EntryKey(sequence));
    if (absl::IsNotFound(bytes.status())) return false;
    if (!bytes.ok()) return bytes.status();
    loyalty::storage::v1::StoredEntry stored;
    LedgerEntry entry;
    if (!stored.ParseFromString(*bytes) ||
        !entry.ParseFromString(stored.body())) {
      return absl::DataLossError(
          absl::StrCat("stored entry ", sequence, " cannot be decoded"));
    }
    if (entry.kind() != kind) return false;
    holder = entry.member_id();
  }
  return holder == member.member_id() ||
         absl::c_linear_search(member.merged_member_ids(), holder);
}

absl::StatusOr<std::vector<std::string>> Batch::OrderIdsOf(
    absl::string_view member_id) {
  const std::string lower = OrderKey(member_id, "");
  std::string upper = lower;
  upper.back() += 1;  // Just past every key with the prefix.
  absl::btree_set<std::string> order_ids;
  LEDGER_RETURN_IF_ERROR(
      store_->Scan(Family::kOrders, lower, upper, /*reverse=*/false,
                   [&](absl::string_view key, absl::string_view) {
                     if (!erased_orders_.contains(key)) {
                       order_ids.insert(std::string(key.substr(lower.size())));
                     }
                     return true;
                   }));
  for (const auto& [key, record] : orders_) {
    // An empty record: loaded by a command that then wrote nothing.
    if (absl::StartsWith(key, lower) && record.ByteSizeLong() > 0) {
      order_ids.insert(key.substr(lower.size()));
    }
  }
  return std::vector<std::string>(order_ids.begin(), order_ids.end());
}

void Batch::MoveOrders(absl::string_view from, absl::string_view to,
                       const std::vector<std::string>& order_ids) {
  for (const std::string& order_id : order_ids) {
    const std::string old_key = OrderKey(from, order_id);
    const std::string new_key = OrderKey(to, order_id);
    auto moved = orders_.find(old_key);
    auto into = orders_.find(new_key);
    // Invariant: the caller loaded both, and the merge refused order ids
    // both members have.
    LEDGER_CHECK(moved != orders_.end() && into != orders_.end() &&
                 into->second.ByteSizeLong() == 0);
    into->second = std::move(moved->second);
    moved->second.Clear();
    dirty_orders_[new_key] = true;
    dirty_orders_.erase(old_key);
    erased_orders_.insert(old_key);
  }
}

MemberRecord* Batch::NewMember(const std::string& member_id) {
  MemberRecord& record = members_[member_id];
  // Invariant: callers check MemberExists first.
  LEDGER_CHECK(record.member_id().empty());
  return &record;
}

LedgerEntry Batch::Append(
    LedgerEntry entry, MemberRecord* member,
    const loyalty::storage::v1::EntryStorageFields* storage) {
  // Invariant: the sequence is gap-free and the chain unbroken.
  LEDGER_CHECK(head_.last_hash().size() == kHashBytes);
  entry.set_sequence(head_.last_sequence() + 1);
  entry.set_recorded_at_ms(now_ms_);
  if (entry.occurred_at_ms() == 0) entry.set_occurred_at_ms(now_ms_);
  // Invariant: commands reject overflowing deltas before appending.
  LEDGER_CHECK(SetPointsAfter(*member, &entry));
  entry.set_prev_hash(head_.last_hash());
  std::string stored = SealEntry(&entry, storage);
  // In place: a refusal aborts below, so nothing may see the half-folded
  // record.
  absl::Status folded = FoldEntryInPlace(
      entry,
      storage != nullptr
          ? *storage
          : loyalty::storage::v1::EntryStorageFields::default_instance(),
      member);
  if (!folded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(folded.message()).c_str());
  }
  LEDGER_CHECK(folded.ok());

  // The fold above checked every campaign line, so adding them to the
  // head's (saturating) totals cannot fail.
  LEDGER_CHECK(AddCampaignLines(entry, head_.mutable_campaign_points(),
                                Accumulate::kSaturating)
                   .ok());
  head_.set_last_sequence(entry.sequence());
  head_.set_last_hash(entry.hash());
  dirty_[member->member_id()] = true;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_HOLD ||
      entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESERVE) {
    settleable_appended_[entry.sequence()] = {entry.member_id(), entry.kind()};
  }
  if (TouchesOrder(entry)) {
    const std::string order_key = OrderKey(entry.member_id(), entry.order_id());
    auto order = orders_.find(order_key);
    // Invariant: the command loaded the order before appending.
    LEDGER_CHECK(order != orders_.end());
    absl::Status folded_order = FoldOrderEntry(entry, &order->second);
    if (!folded_order.ok()) {
      std::fprintf(stderr, "%s\n", std::string(folded_order.message()).c_str());
    }
    LEDGER_CHECK(folded_order.ok());
    dirty_orders_[order_key] = true;
  }
  ++entries_appended_;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_ENROLL) ++members_enrolled_;
  writes_.Add(Family::kMemberEntries,
              MemberEntryKey(entry.member_id(), entry.sequence()), "");
  // The wallet index, like the statement index, follows from the entry
  // alone: every command that gives a member a coupon or voucher gets its
  // row here.
  if (std::optional<WalletRow> row = WalletRowOf(entry)) {
    writes_.Add(Family::kWallet, std::move(row->key), std::move(row->value));
  }
  // Likewise the offline reconciliations an operator lists.
  if (std::optional<std::string> key = OfflineReconciliationKeyOf(entry)) {
    writes_.Add(Family::kOfflineReconciliations, std::move(*key), "");
  }
  std::string key = EntryKey(entry.sequence());
  writes_.Add(Family::kEntries, std::move(key), std::move(stored));
  return entry;
}

LedgerEntry Batch::AppendMemberless(LedgerEntry entry) {
  // Invariant: only kinds without a member come here, with their details
  // and nothing of a member's (no id, no points, no balances after).
  LEDGER_CHECK(fold::IsMemberlessEntry(entry.kind()));
  LEDGER_CHECK(entry.member_id().empty());
  LEDGER_CHECK(fold::CheckMemberlessEntryShape(entry).ok());
  // Invariant: the sequence is gap-free and the chain unbroken.
  LEDGER_CHECK(head_.last_hash().size() == kHashBytes);
  entry.set_sequence(head_.last_sequence() + 1);
  entry.set_recorded_at_ms(now_ms_);
  if (entry.occurred_at_ms() == 0) entry.set_occurred_at_ms(now_ms_);
  entry.set_prev_hash(head_.last_hash());
  std::string stored = SealEntry(&entry, nullptr);
  head_.set_last_sequence(entry.sequence());
  head_.set_last_hash(entry.hash());
  ++entries_appended_;
  writes_.Add(Family::kEntries, EntryKey(entry.sequence()), std::move(stored));
  return entry;
}

void Batch::StageIdentifier(const std::string& identifier_key,
                            const std::string& member_id) {
  identifiers_[identifier_key] = member_id;
  writes_.Add(Family::kIdentifiers, identifier_key, member_id);
}

void Batch::EraseIdentifier(const std::string& identifier_key) {
  identifiers_[identifier_key] = "";
  writes_.Erase(Family::kIdentifiers, identifier_key);
}

void Batch::Remember(const std::string& request_key,
                     loyalty::storage::v1::RequestRecord record) {
  writes_.Add(Family::kRequests, request_key, record.SerializeAsString());
  requests_[request_key] = std::move(record);
}

void Batch::StageRecord(Family family, const std::string& key) {
  // Invariant: only a record LoadRecord handed out can be staged.
  LEDGER_CHECK(records_.contains(RecordKey{family, key}));
  staged_records_.insert(RecordKey{family, key});
}

WriteSet Batch::Finish() {
  for (const RecordKey& staged : staged_records_) {
    writes_.Add(staged.first, staged.second,
                records_.at(staged)->SerializeAsString());
  }
  for (const auto& [member_id, dirty] : dirty_) {
    LEDGER_CHECK(dirty);
    const MemberRecord& record = members_.at(member_id);
    auto stored = stored_due_ms_.find(member_id);
    const int64_t stored_due_ms =
        stored == stored_due_ms_.end() ? 0 : stored->second;
    if (record.next_due_ms() != stored_due_ms) {
      if (stored_due_ms != 0) {
        writes_.Erase(Family::kSchedule, ScheduleKey(stored_due_ms, member_id));
      }
      if (record.next_due_ms() != 0) {
        writes_.Add(Family::kSchedule,
                    ScheduleKey(record.next_due_ms(), member_id), "");
      }
    }
    writes_.Add(Family::kMembers, MemberKey(member_id),
                record.SerializeAsString());
  }
  for (const std::string& order_key : erased_orders_) {
    if (!dirty_orders_.contains(order_key)) {
      writes_.Erase(Family::kOrders, order_key);
    }
  }
  for (const auto& [order_key, dirty] : dirty_orders_) {
    LEDGER_CHECK(dirty);
    writes_.Add(Family::kOrders, order_key,
                orders_.at(order_key).SerializeAsString());
  }
  if (entries_appended_ > 0) {
    writes_.Add(Family::kMeta, std::string(kHeadKey),
                head_.SerializeAsString());
  }
  return std::move(writes_);
}

void Batch::ReturnMembers() {
  // Invariant: only the writer's own batch, which is written after it.
  LEDGER_CHECK(cache_use_ == CacheUse::kTake);
  if (cache_ == nullptr) return;
  for (auto& [member_id, record] : members_) {
    // A record without an id: an enrolment loaded nothing and wrote nothing.
    if (record.member_id().empty()) continue;
    cache_->Put(member_id, std::move(record));
  }
  members_.clear();
}

}  // namespace loyalty
