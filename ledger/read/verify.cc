// VerifyLedger: re-derive everything from the entries (promise 2) and compare
// with what is stored. Runs against a store snapshot, so writes may go on.
//
// The generic checks, in order:
//   1. entries: keys are 1, 2, 3... without gaps; each decodes; its sequence
//      matches its key; prev_hash is the previous entry's hash (the first's
//      is the genesis hash); hash recomputes.
//   2. each entry folds into its member's replayed state (FoldEntry), and
//      is listed in the member_entries index; an entry of no member (bulk
//      coupon codes: COUPON_GENERATE) has that shape and is in no index.
//   3. members: every stored record equals its replay, and every replayed
//      member is stored.
//   4. each domain's part (verify_part.h) sees every entry around its fold
//      and then checks the families it owns: members/members_verify.h
//      (identifiers, transfer and merge pairs), points/points_verify.h
//      (EXPIRE times, order records, the schedule), the coupons' and
//      vouchers' parts, and read/wallet_verify.h (the wallet index).
//   5. the head names the last entry and its hash, and its campaign totals
//      are the sum of the entries' campaign lines.
#include "ledger/read/verify.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/coupons_verify.h"
#include "ledger/engine/fold.h"
#include "ledger/members/members_verify.h"
#include "ledger/points/points_verify.h"
#include "ledger/read/verify_part.h"
#include "ledger/offline/offline_verify.h"
#include "ledger/read/wallet_verify.h"
#include "ledger/rewards/rewards_verify.h"
#include "ledger/vouchers/vouchers_verify.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

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
  // `parts` are called in this order, which is the order their problems
  // are reported in.
  Verifier(const StoreReader& store, std::vector<VerifyPart*> parts)
      : store_(store), parts_(std::move(parts)) {}

  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Run() {
    LEDGER_RETURN_IF_ERROR(CheckEntries());
    LEDGER_RETURN_IF_ERROR(CheckStatementIndex());
    LEDGER_RETURN_IF_ERROR(CheckMembers());
    for (VerifyPart* part : parts_) {
      LEDGER_RETURN_IF_ERROR(part->Finish(store_, members_, problems_));
    }
    LEDGER_RETURN_IF_ERROR(CheckHead());
    response_.set_ok(problems_.count() == 0);
    response_.set_last_sequence(last_sequence_);
    response_.set_last_hash_hex(HexEncode(last_hash_));
    response_.set_members_checked(members_.size());
    for (std::string& problem : problems_.Report()) {
      response_.add_problems(std::move(problem));
    }
    return response_;
  }

 private:
  void Problem(std::string text) { problems_.Add(std::move(text)); }

  absl::Status CheckEntries() {
    return store_.Scan(Family::kEntries, "", "", /*reverse=*/false,
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
    loyalty::storage::v1::EntryStorageFields storage;
    if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
        !ParseEntryBody(stored.body(), &entry, &storage)) {
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
    if (fold::IsMemberlessEntry(entry.kind()) || entry.member_id().empty()) {
      CheckMemberlessEntry(*sequence, entry, storage);
      return;
    }
    MemberRecord& member = members_[entry.member_id()];
    for (VerifyPart* part : parts_) {
      part->BeforeFold(*sequence, entry, member, problems_);
    }
    absl::Status folded = FoldEntry(entry, storage, &member);
    if (!folded.ok()) Problem(std::string(folded.message()));
    absl::Status counted =
        AddCampaignLines(entry, &campaign_points_, Accumulate::kSaturating);
    if (!counted.ok()) Problem(std::string(counted.message()));
    statement_[entry.member_id()].Add(entry.sequence());
    for (VerifyPart* part : parts_) part->AfterFold(entry, storage, problems_);
  }

  // Bulk coupon codes: an entry of no member (COUPON_GENERATE) is folded by
  // its domain's part only; it has no member state and no statement.
  void CheckMemberlessEntry(
      uint64_t key_sequence, const LedgerEntry& entry,
      const loyalty::storage::v1::EntryStorageFields& storage) {
    absl::Status shaped = fold::CheckMemberlessEntryShape(entry);
    if (!shaped.ok()) {
      Problem(std::string(shaped.message()));
      return;
    }
    const MemberRecord& nobody = MemberRecord::default_instance();
    for (VerifyPart* part : parts_) {
      part->BeforeFold(key_sequence, entry, nobody, problems_);
    }
    for (VerifyPart* part : parts_) part->AfterFold(entry, storage, problems_);
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
        Problem(
            "the head's campaign totals differ from the replay of the "
            "entries' campaign lines");
      }
    }
    return absl::OkStatus();
  }

  const StoreReader& store_;
  const std::vector<VerifyPart*> parts_;
  loyalty::v1::VerifyLedgerResponse response_;
  Problems problems_;
  uint64_t last_sequence_ = 0;
  std::string last_hash_ = GenesisHash();
  ReplayedMembers members_;
  // The head keeps the campaign totals, so they are checked with the head.
  RulePointsList campaign_points_;  // Sorted by rule_id, like the head's.
  absl::flat_hash_map<std::string, StatementDigest> statement_;
};

}  // namespace

absl::StatusOr<loyalty::v1::VerifyLedgerResponse> VerifyLedger(
    const StoreReader& snapshot) {
  // One part per domain; a new domain adds its part to the list. Members
  // comes before points so that problems keep the order they have always
  // been reported in (pairs and identifiers before orders and schedule).
  PointsVerifyPart points;
  MembersVerifyPart members(points);  // Moves orders on a merge.
  CouponsVerifyPart coupons;
  VouchersVerifyPart vouchers;
  RewardsVerifyPart rewards;
  WalletVerifyPart wallet;
  OfflineVerifyPart offline;
  return Verifier(snapshot, {&members, &points, &coupons, &vouchers, &rewards,
                             &wallet, &offline})
      .Run();
}

}  // namespace loyalty
