// File: ledger/engine/batch.h
//
// Internal to ledger/: the writer's working state while it applies one group
// of commands. Reads see this batch's own earlier writes first, then the
// store, so commands in one batch behave exactly as if each were synced
// before the next. Only the writer thread touches a Batch.
#ifndef LOYALTY_LEDGER_ENGINE_BATCH_H_
#define LOYALTY_LEDGER_ENGINE_BATCH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/random_source.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/member_cache.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class Batch {
 public:
  // How a batch uses the writer's member cache: the writer's own batch takes
  // records out and puts them back after its write (ReturnMembers); a dry
  // run's batch, which is dropped, only copies them.
  enum class CacheUse { kTake, kCopy };

  // `cache` may be null (no cache).
  Batch(const StoreReader* store, loyalty::storage::v1::LedgerHead head,
        int64_t now_ms, RandomSource* random, MemberCache* cache = nullptr,
        CacheUse cache_use = CacheUse::kTake)
      : store_(store),
        head_(std::move(head)),
        now_ms_(now_ms),
        random_(random),
        cache_(cache),
        cache_use_(cache_use) {}

  // The member's record, or NotFound (MEMBER_NOT_FOUND) naming it.
  absl::StatusOr<loyalty::storage::v1::MemberRecord*> LoadMember(
      absl::string_view member_id);
  // Whether any record exists under the id (for enroll and id assignment).
  absl::StatusOr<bool> MemberExists(absl::string_view member_id);
  absl::StatusOr<std::optional<loyalty::storage::v1::RequestRecord>>
  FindRequest(const std::string& request_key);
  absl::StatusOr<std::optional<std::string>> FindIdentifierOwner(
      const std::string& identifier_key);
  // The order's record (an empty one if the order is new). Commands load
  // the order an entry names before appending it; Append folds the entry
  // into it and stages its write.
  absl::StatusOr<loyalty::storage::v1::OrderRecord*> LoadOrder(
      const std::string& order_key);
  // Whether entry `sequence` is of `kind` (a HOLD or a COUPON_RESERVE, open
  // or closed) and `member`'s, written under its id or one of the ids
  // merged into it: what tells "no such hold" from "no longer open".
  absl::StatusOr<bool> IsEntryOf(
      const loyalty::storage::v1::MemberRecord& member, uint64_t sequence,
      loyalty::v1::EntryKind kind);
  // The order ids `member_id` has records of (stored, or written earlier in
  // this batch), sorted.
  absl::StatusOr<std::vector<std::string>> OrderIdsOf(
      absl::string_view member_id);
  // Moves the order records `order_ids` (OrderIdsOf(from)) of `from` to
  // `to` under the same ids (a merge); `from`'s keys are erased. The caller
  // loaded both sides of each first and checked that `to` has none of them.
  void MoveOrders(absl::string_view from, absl::string_view to,
                  const std::vector<std::string>& order_ids);

  // A record of a domain's own family (a coupon, a count) under `key`: as
  // this batch left it, else as stored, else an empty one. Every key of a
  // family holds one record type. After changing it, StageRecord: Finish
  // writes each staged record once.
  template <typename Record>
  absl::StatusOr<Record*> LoadRecord(Family family, const std::string& key);
  void StageRecord(Family family, const std::string& key);

  // Appends `entry` for `member` (an empty record for an ENROLL): assigns the
  // next sequence, recorded_at, the *_after_points, prev_hash and hash,
  // folds it into `member` and stages its writes. Aborts if the entry breaks
  // the fold: commands check every rule before appending, so that is a bug.
  // `storage`: what the stored entry carries beyond the contract (a
  // MERGE_IN's source record), hashed with it and folded with it.
  // An entry that gives the member a coupon or voucher also writes its
  // wallet row (engine/wallet_index.h).
  // Returns the entry as appended, for the command's response.
  loyalty::v1::LedgerEntry Append(
      loyalty::v1::LedgerEntry entry,
      loyalty::storage::v1::MemberRecord* member,
      const loyalty::storage::v1::EntryStorageFields* storage = nullptr);
  // Appends an entry that belongs to no member (bulk coupon codes: a
  // COUPON_GENERATE, fold::IsMemberlessEntry): sequence, recorded_at,
  // prev_hash and hash as Append, but no member fold and no statement
  // index. The caller folds it into its domain's records and stages them.
  // Aborts for a kind that has a member, a member id, points or details of
  // another kind.
  loyalty::v1::LedgerEntry AppendMemberless(loyalty::v1::LedgerEntry entry);
  // A record for a member that does not exist yet; stays valid for the batch.
  loyalty::storage::v1::MemberRecord* NewMember(const std::string& member_id);
  void StageIdentifier(const std::string& identifier_key,
                       const std::string& member_id);
  // An unlinked identifier's index key goes; it is free again.
  void EraseIdentifier(const std::string& identifier_key);
  void Remember(const std::string& request_key,
                loyalty::storage::v1::RequestRecord record);

  // Adds dirty member records, their schedule keys (moved when next_due_ms
  // changed) and the new head to the write set; call once, after the last
  // command.
  WriteSet Finish();

  // After Finish: every member this batch loaded or wrote goes into
  // `cache_` as the store has it once the writes are synced. The writer
  // decides the next batch from the cache while this one syncs; if the
  // write fails, the ledger decides nothing more and clears the cache.
  void ReturnMembers();

  const loyalty::storage::v1::LedgerHead& head() const { return head_; }
  // The store as the batch before left it, for scans (the sweep's
  // schedule); it does not see this batch's writes.
  const StoreReader& store() const { return *store_; }
  int64_t now_ms() const { return now_ms_; }
  // The ledger's random source: member ids and codes are drawn from it.
  RandomSource& random() { return *random_; }
  uint64_t entries_appended() const { return entries_appended_; }
  // ENROLL entries appended: the members this batch created.
  uint64_t members_enrolled() const { return members_enrolled_; }
  bool has_writes() const {
    return !writes_.empty() || !staged_records_.empty();
  }

 private:
  const StoreReader* store_;
  // The member's record from the cache or the store; NotFound as LoadMember.
  absl::StatusOr<loyalty::storage::v1::MemberRecord> ReadMember(
      const std::string& member_id);
  loyalty::storage::v1::LedgerHead head_;
  const int64_t now_ms_;
  RandomSource* const random_;
  WriteSet writes_;
  uint64_t entries_appended_ = 0;
  uint64_t members_enrolled_ = 0;
  MemberCache* const cache_;
  const CacheUse cache_use_;
  // Members read or changed in this batch; `dirty_` names the changed ones.
  // A node map: LoadMember hands out pointers that must stay valid while
  // a command loads more members (a transfer holds both sides).
  absl::node_hash_map<std::string, loyalty::storage::v1::MemberRecord> members_;
  absl::flat_hash_map<std::string, bool> dirty_;
  // next_due_ms of each loaded member as stored: its schedule key.
  absl::flat_hash_map<std::string, int64_t> stored_due_ms_;
  // HOLD entries appended in this batch: sequence -> member id.
  // HOLD and COUPON_RESERVE entries appended by this batch: sequence ->
  // (member id, kind), for IsEntryOf.
  absl::flat_hash_map<uint64_t, std::pair<std::string, loyalty::v1::EntryKind>>
      settleable_appended_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::RequestRecord>
      requests_;
  // Identifier key -> owner; an empty owner: erased in this batch.
  absl::flat_hash_map<std::string, std::string> identifiers_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::OrderRecord> orders_;
  absl::flat_hash_map<std::string, bool> dirty_orders_;
  // Order keys moved away in this batch (erased unless written again).
  absl::flat_hash_set<std::string> erased_orders_;
  // LoadRecord's records by (family, key), and those staged for writing.
  using RecordKey = std::pair<Family, std::string>;
  absl::flat_hash_map<RecordKey, std::unique_ptr<google::protobuf::Message>>
      records_;
  absl::flat_hash_set<RecordKey> staged_records_;
};

template <typename Record>
absl::StatusOr<Record*> Batch::LoadRecord(Family family,
                                          const std::string& key) {
  auto found = records_.find(RecordKey{family, key});
  if (found != records_.end()) {
    // Invariant: one record type per family.
    auto* record = dynamic_cast<Record*>(found->second.get());
    LEDGER_CHECK(record != nullptr);
    return record;
  }
  auto record = std::make_unique<Record>();
  absl::StatusOr<std::string> bytes = store_->Get(family, key);
  if (bytes.ok()) {
    if (!record->ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("stored ", FamilyName(family),
                                              " record \"", key,
                                              "\" cannot be decoded"));
    }
  } else if (!absl::IsNotFound(bytes.status())) {
    return bytes.status();
  }
  Record* loaded = record.get();
  records_.emplace(RecordKey{family, key}, std::move(record));
  return loaded;
}

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_BATCH_H_
