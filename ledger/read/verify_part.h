// File: ledger/read/verify_part.h
//
// What VerifyLedger (verify.h) asks of each domain. The generic verifier
// walks the entries (order, hash chain, sequence), replays each member's
// fold, and checks the statement index, the member records and the head;
// each domain re-derives its own state from the same walk in a VerifyPart
// (points/points_verify.h, members/members_verify.h) and compares it with
// the families it owns. A new domain adds its part to the list in
// verify.cc.
#ifndef LOYALTY_LEDGER_READ_VERIFY_PART_H_
#define LOYALTY_LEDGER_READ_VERIFY_PART_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// Every member's state as the replay has it so far, by member id.
using ReplayedMembers =
    absl::flat_hash_map<std::string, loyalty::storage::v1::MemberRecord>;

// The problems found, in the order found. Keeps the first
// kVerifyProblemsMax texts and only counts the rest, so a badly broken
// ledger cannot make the response unbounded.
class Problems {
 public:
  void Add(std::string text);
  uint64_t count() const { return count_; }
  // The kept texts, then "... and N more problems" when some were dropped.
  std::vector<std::string> Report() const;

 private:
  uint64_t count_ = 0;
  std::vector<std::string> kept_;
};

// One domain's share of the verification. The verifier calls every part,
// in the order they are listed, for each entry and then once at the end;
// that order is the order their problems are reported in.
class VerifyPart {
 public:
  virtual ~VerifyPart() = default;

  // Each entry that decodes, in sequence order, before it is folded into
  // its member: `member_before` is that member's replayed state until now.
  // `key_sequence` is the entry's key, which names it in problems about the
  // entry alone (its own `sequence` field may be the forged part).
  virtual void BeforeFold(
      uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
      const loyalty::storage::v1::MemberRecord& member_before,
      Problems& problems) = 0;
  // The same entry, after its member's fold, with what its stored body
  // carries beyond the contract (hashing.h, EntryStorageFields).
  virtual void AfterFold(const loyalty::v1::LedgerEntry& entry,
                         const loyalty::storage::v1::EntryStorageFields& storage,
                         Problems& problems) = 0;
  // After the last entry: compares what the part re-derived with what the
  // store holds. Non-OK only when the store cannot be read.
  virtual absl::Status Finish(const StoreReader& store,
                              const ReplayedMembers& members,
                              Problems& problems) = 0;
};

// Compares a whole family with `expected` (key -> value): every stored key
// must be expected with that value, and the counts must agree. `what` names
// the family in the problems ("identifier", "order", ...).
absl::Status CheckFamilyMatches(
    const StoreReader& store, Family family,
    const absl::flat_hash_map<std::string, std::string>& expected,
    absl::string_view what, Problems& problems);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_VERIFY_PART_H_
