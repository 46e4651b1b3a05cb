// VerifyLedger: re-derive everything from the entries (promise 2) and compare
// with what is stored. Runs against a store snapshot, so writes may go on.
//
// Checks, in order:
//   1. entries: keys are 1, 2, 3... without gaps; each decodes; its sequence
//      matches its key; prev_hash is the previous entry's hash (the first's
//      is the genesis hash); hash recomputes.
//   2. each entry folds into its member's replayed state (FoldEntry), and
//      is listed in the member_entries index.
//   3. members: every stored record equals its replay, and every replayed
//      member is stored.
//   4. identifiers point where the entries say (ENROLL and LINK add, UNLINK
//      removes), and every order record is
//      the fold of the entries naming the order (orders.h), both ways.
//   5. the head names the last entry and its hash, and its campaign totals
//      are the sum of the entries' campaign lines.
//   6. the schedule lists exactly each member's next due time, and no EXPIRE
//      was written before its lot's expiry.
//   7. every TRANSFER_OUT is followed at once by its TRANSFER_IN, and every
//      MERGE_OUT by its MERGE_IN, which carries exactly the source's
//      replayed state; the source's orders move to the target there.
#include "ledger/read/verify.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/engine/fold.h"
#include "ledger/points/orders.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::storage::v1::MemberRecord;

// Count and sum of mixed sequences of one member's entries. Two digests are
// equal when the sets are, and differ for any other set but with negligible
// probability (a 64-bit sum of splitmix64 outputs).
struct StatementDigest {
  uint64_t count = 0;
  uint64_t mixed_sum = 0;

  void Add(uint64_t sequence) {
    uint64_t z = sequence + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    ++count;
    mixed_sum += z ^ (z >> 31);
  }
  bool operator==(const StatementDigest& other) const {
    return count == other.count && mixed_sum == other.mixed_sum;
  }
};

class Verifier {
 public:
  explicit Verifier(const StoreReader& store) : store_(store) {}

  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Run() {
    LEDGER_RETURN_IF_ERROR(CheckEntries());
    LEDGER_RETURN_IF_ERROR(CheckStatementIndex());
    LEDGER_RETURN_IF_ERROR(CheckMembers());
    if (pending_transfer_out_.has_value()) {
      Problem(absl::StrCat("entry ", pending_transfer_out_->sequence(),
                           ": a TRANSFER_OUT without its TRANSFER_IN right "
                           "after it"));
    }
    if (pending_merge_out_.has_value()) {
      Problem(absl::StrCat("entry ", pending_merge_out_->sequence(),
                           ": a MERGE_OUT without its MERGE_IN right after "
                           "it"));
    }
    LEDGER_RETURN_IF_ERROR(CheckIndex(Family::kIdentifiers, identifiers_,
                                      "identifier"));
    absl::flat_hash_map<std::string, std::string> orders;
    for (const auto& [key, record] : order_records_) {
      orders[key] = record.SerializeAsString();
    }
    LEDGER_RETURN_IF_ERROR(CheckIndex(Family::kOrders, orders, "order"));
    absl::flat_hash_map<std::string, std::string> schedule;
    for (const auto& [member_id, record] : members_) {
      if (record.next_due_ms() != 0) {
        schedule[ScheduleKey(record.next_due_ms(), member_id)] = "";
      }
    }
    LEDGER_RETURN_IF_ERROR(CheckIndex(Family::kSchedule, schedule, "schedule"));
    LEDGER_RETURN_IF_ERROR(CheckHead());
    response_.set_ok(problem_count_ == 0);
    response_.set_last_sequence(last_sequence_);
    response_.set_last_hash_hex(HexEncode(last_hash_));
    response_.set_members_checked(members_.size());
    if (problem_count_ > static_cast<uint64_t>(kVerifyProblemsMax)) {
      response_.add_problems(absl::StrCat(
          "... and ", problem_count_ - kVerifyProblemsMax, " more problems"));
    }
    return response_;
  }

 private:
  void Problem(std::string text) {
    ++problem_count_;
    if (problem_count_ <= static_cast<uint64_t>(kVerifyProblemsMax)) {
      response_.add_problems(std::move(text));
    }
  }

  absl::Status CheckEntries() {
    return store_.Scan(
        Family::kEntries, "", "", /*reverse=*/false,
        [this](absl::string_view key, absl::string_view value) {
          CheckEntry(key, value);
          return true;
        });
  }

  void CheckEntry(absl::string_view key, absl::string_view value) {
    response_.set_entries_checked(response_.entries_checked() + 1);
    uint64_t expected = last_sequence_ + 1;
    std::optional<uint64_t> sequence = DecodeBigEndian64(key);
    LedgerEntry entry;  // Decoded from the stored body; `hash` stays unset.
    if (!sequence.has_value()) {
      Problem("an entries key is not an 8-byte sequence");
      return;
    }
    if (*sequence != expected) {
      Problem(absl::StrCat("sequence gap: expected entry ", expected,
                           ", found ", *sequence));
    }
    last_sequence_ = *sequence;
    loyalty::storage::v1::StoredEntry stored;
    if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
        !entry.ParseFromString(stored.body())) {
      Problem(absl::StrCat("entry ", *sequence, " cannot be decoded"));
      last_hash_.clear();
      return;
    }
    if (entry.sequence() != *sequence) {
      Problem(absl::StrCat("entry ", *sequence, " says it is entry ",
                           entry.sequence()));
    }
    if (entry.prev_hash() != last_hash_) {
      Problem(absl::StrCat("entry ", *sequence,
                           ": prev_hash does not match the previous entry's "
                           "hash (the chain is broken)"));
    }
    if (ChainHash(entry.prev_hash(), stored.body()) != stored.hash()) {
      Problem(absl::StrCat("entry ", *sequence,
                           ": hash does not match its contents (altered)"));
    }
    last_hash_ = stored.hash();
    if (entry.kind() == loyalty::v1::ENTRY_KIND_EXPIRE &&
        entry.recorded_at_ms() < entry.lot_expires_at_ms()) {
      Problem(absl::StrCat("entry ", *sequence,
                           ": EXPIRE written before its lot's expiry"));
    }
    MemberRecord& member = members_[entry.member_id()];
    if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
      merge_source_before_ = member;
    }
    absl::Status folded = FoldEntry(entry, &member);
    if (!folded.ok()) Problem(std::string(folded.message()));
    absl::Status counted =
        AddCampaignLines(entry, &campaign_points_, Accumulate::kSaturating);
    if (!counted.ok()) Problem(std::string(counted.message()));
    statement_[entry.member_id()].Add(entry.sequence());
    for (const auto& identifier : entry.identifiers()) {
      const std::string identifier_key =
          IdentifierKey(identifier.kind(), identifier.value());
      if (entry.kind() == loyalty::v1::ENTRY_KIND_UNLINK ||
          entry.kind() == loyalty::v1::ENTRY_KIND_CLOSE) {
        identifiers_.erase(identifier_key);
      } else {
        identifiers_[identifier_key] = entry.member_id();
      }
    }
    CheckTransferPair(entry);
    CheckMergePair(entry);
    if (TouchesOrder(entry)) {
      auto [order, inserted] = order_records_.try_emplace(
          OrderKey(entry.member_id(), entry.order_id()));
      if (inserted) order_ids_of_[entry.member_id()].push_back(entry.order_id());
      absl::Status order_folded = FoldOrderEntry(entry, &order->second);
      if (!order_folded.ok()) Problem(std::string(order_folded.message()));
    }
  }

  // A MERGE_OUT is followed at once by its MERGE_IN: the other member, the
  // same points, and the source's state exactly as replay has it. Then the
  // source's orders are the target's.
  void CheckMergePair(const LedgerEntry& entry) {
    const bool is_in = entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN;
    if (pending_merge_out_.has_value() || is_in) {
      const LedgerEntry* out =
          pending_merge_out_.has_value() ? &*pending_merge_out_ : nullptr;
      MemberRecord carried;
      const bool paired =
          out != nullptr && is_in &&
          entry.member_id() == out->counterparty_member_id() &&
          entry.counterparty_member_id() == out->member_id() &&
          entry.points_delta() == -out->points_delta() &&
          entry.merged_pending_points() == out->merged_pending_points() &&
          entry.merged_held_points() == out->merged_held_points() &&
          carried.ParseFromString(entry.merged_member_record()) &&
          google::protobuf::util::MessageDifferencer::Equals(
              carried, merge_source_before_);
      if (!paired) {
        Problem(absl::StrCat(
            "entry ", entry.sequence(),
            is_in ? ": a MERGE_IN without its MERGE_OUT, or carrying another "
                    "state than the source's"
                  : ": a MERGE_OUT without its MERGE_IN right after it"));
      } else {
        MoveOrders(out->member_id(), entry.member_id());
      }
      pending_merge_out_.reset();
    }
    if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
      pending_merge_out_ = entry;
    }
  }

  void MoveOrders(const std::string& from, const std::string& to) {
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
        Problem(absl::StrCat("order \"", order_id, "\" of member ", from,
                             " merged into ", to, ", which has it too"));
        continue;
      }
      order_records_[new_key] = std::move(moved.mapped());
      to_ids.push_back(order_id);
    }
  }

  // A TRANSFER_OUT is followed at once by its TRANSFER_IN: the other member,
  // the same points and the same lots (the pair is one command's).
  void CheckTransferPair(const LedgerEntry& entry) {
    const bool is_in = entry.kind() == loyalty::v1::ENTRY_KIND_TRANSFER_IN;
    if (pending_transfer_out_.has_value() || is_in) {
      const LedgerEntry* out =
          pending_transfer_out_.has_value() ? &*pending_transfer_out_ : nullptr;
      const bool paired =
          out != nullptr && is_in &&
          entry.member_id() == out->counterparty_member_id() &&
          entry.counterparty_member_id() == out->member_id() &&
          entry.points_delta() == -out->points_delta() &&
          google::protobuf::util::MessageDifferencer::Equals(
              TransferredLots(entry), TransferredLots(*out));
      if (!paired) {
        Problem(absl::StrCat("entry ", entry.sequence(),
                             is_in ? ": a TRANSFER_IN without its TRANSFER_OUT"
                                   : ": a TRANSFER_OUT without its "
                                     "TRANSFER_IN right after it"));
      }
      pending_transfer_out_.reset();
    }
    if (entry.kind() == loyalty::v1::ENTRY_KIND_TRANSFER_OUT) {
      pending_transfer_out_ = entry;
    }
  }

  static LedgerEntry TransferredLots(const LedgerEntry& entry) {
    LedgerEntry lots;
    *lots.mutable_transferred_lots() = entry.transferred_lots();
    return lots;
  }

  // The index is checked per member, by count and by an order-independent
  // digest of its sequences, so memory grows with members, not entries.
  absl::Status CheckStatementIndex() {
    absl::flat_hash_map<std::string, StatementDigest> indexed;
    LEDGER_RETURN_IF_ERROR(store_.Scan(
        Family::kMemberEntries, "", "", false,
        [&](absl::string_view key, absl::string_view) {
          std::optional<uint64_t> sequence = SequenceOfMemberEntryKey(key);
          if (!sequence.has_value()) {
            Problem("a statement index key is malformed");
          } else {
            indexed[key.substr(0, key.size() - 9)].Add(*sequence);
          }
          return true;
        }));
    for (const auto& [member_id, expected] : statement_) {
      auto found = indexed.find(member_id);
      if (found == indexed.end() || !(found->second == expected)) {
        Problem(absl::StrCat("member ", member_id,
                             ": the statement index disagrees with the "
                             "entries (",
                             found == indexed.end() ? 0 : found->second.count,
                             " indexed, ", expected.count, " entries)"));
      }
    }
    for (const auto& [member_id, digest] : indexed) {
      if (!statement_.contains(member_id)) {
        Problem(absl::StrCat("the statement index lists ", digest.count,
                             " entries of member ", member_id,
                             ", who has none"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckMembers() {
    absl::flat_hash_map<std::string, bool> seen;
    LEDGER_RETURN_IF_ERROR(store_.Scan(
        Family::kMembers, "", "", false,
        [&](absl::string_view key, absl::string_view value) {
          std::string member_id(key);
          seen[member_id] = true;
          MemberRecord stored;
          auto replayed = members_.find(member_id);
          if (!stored.ParseFromArray(value.data(),
                                     static_cast<int>(value.size()))) {
            Problem(absl::StrCat("member ", member_id, " cannot be decoded"));
          } else if (replayed == members_.end()) {
            Problem(absl::StrCat("member ", member_id,
                                 " is stored but has no entries"));
          } else if (!google::protobuf::util::MessageDifferencer::Equals(
                         stored, replayed->second)) {
            Problem(absl::StrCat("member ", member_id, ": stored state (",
                                 stored.ShortDebugString(),
                                 ") differs from replay (",
                                 replayed->second.ShortDebugString(), ")"));
          }
          return true;
        }));
    for (const auto& [member_id, record] : members_) {
      if (!seen.contains(member_id)) {
        Problem(absl::StrCat("member ", member_id,
                             " has entries but no stored state"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckIndex(Family family,
                          const absl::flat_hash_map<std::string, std::string>&
                              expected,
                          absl::string_view what) {
    uint64_t stored_count = 0;
    LEDGER_RETURN_IF_ERROR(store_.Scan(
        family, "", "", false,
        [&](absl::string_view key, absl::string_view value) {
          ++stored_count;
          auto it = expected.find(key);
          if (it == expected.end() || it->second != value) {
            Problem(absl::StrCat("a stored ", what,
                                 " index key disagrees with the entries"));
          }
          return true;
        }));
    if (stored_count != expected.size()) {
      Problem(absl::StrCat("the ", what, " index has ", stored_count,
                           " keys; the entries give ", expected.size()));
    }
    return absl::OkStatus();
  }

  absl::Status CheckHead() {
    absl::StatusOr<std::string> bytes =
        store_.Get(Family::kMeta, std::string(kHeadKey));
    if (absl::IsNotFound(bytes.status())) {
      if (last_sequence_ != 0) Problem("entries exist but the head is missing");
      return absl::OkStatus();
    }
    if (!bytes.ok()) return bytes.status();
    loyalty::storage::v1::LedgerHead head;
    if (!head.ParseFromString(*bytes)) {
      Problem("the head cannot be decoded");
    } else if (head.last_sequence() != last_sequence_ ||
               head.last_hash() != last_hash_) {
      Problem(absl::StrCat("the head names entry ", head.last_sequence(),
                           " but the ledger ends at entry ", last_sequence_));
    } else {
      auto same = [](const loyalty::storage::v1::RulePoints& a,
                     const loyalty::storage::v1::RulePoints& b) {
        return a.rule_id() == b.rule_id() && a.points() == b.points();
      };
      if (!std::equal(campaign_points_.begin(), campaign_points_.end(),
                      head.campaign_points().begin(),
                      head.campaign_points().end(), same)) {
        Problem("the head's campaign totals differ from the replay of the "
                "entries' campaign lines");
      }
    }
    return absl::OkStatus();
  }

  const StoreReader& store_;
  loyalty::v1::VerifyLedgerResponse response_;
  uint64_t problem_count_ = 0;
  uint64_t last_sequence_ = 0;
  std::string last_hash_ = GenesisHash();
  absl::flat_hash_map<std::string, MemberRecord> members_;
  RulePointsList campaign_points_;  // Sorted by rule_id, like the head's.
  absl::flat_hash_map<std::string, StatementDigest> statement_;
  absl::flat_hash_map<std::string, std::string> identifiers_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::OrderRecord> order_records_;
  // The last entry, when it was a TRANSFER_OUT still waiting for its IN.
  std::optional<LedgerEntry> pending_transfer_out_;
  // Likewise for merges, with the source's state just before its MERGE_OUT.
  std::optional<LedgerEntry> pending_merge_out_;
  MemberRecord merge_source_before_;
  // Each member's order ids (keys of order_records_), to move on a merge.
  absl::flat_hash_map<std::string, std::vector<std::string>> order_ids_of_;
};

}  // namespace

absl::StatusOr<loyalty::v1::VerifyLedgerResponse> VerifyLedger(
    const StoreReader& snapshot) {
  Verifier verifier(snapshot);
  return verifier.Run();
}

}  // namespace loyalty
