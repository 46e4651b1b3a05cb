// File: tests/crash/check_support.h
//
// What the crash test's checks (merge_check.h, transfer_check.h,
// return_check.h, close_check.h, hold_check.h, identity_check.h) share:
//   - the names of the ErrorReason values they compare answers with, and
//     how their failures name a request or an entry;
//   - the prologue of reading a statement: each member's new entries, from
//     where the last check stopped (after confirming that entry is still
//     there with the same hash), oldest first, and at a MERGE_IN the
//     source's statement up to its MERGE_OUT right before it;
//   - the entries answers acknowledged, against those statements show;
//   - pairing: writes that put their first half at sequence n on one
//     member and their second at n + 1 on the member it names (transfers,
//     merges).
#ifndef LOYALTY_TESTS_CRASH_CHECK_SUPPORT_H_
#define LOYALTY_TESTS_CRASH_CHECK_SUPPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

class AliasGraph;  // merge_check.h

// The "loyalty-reason" trailer (an ErrorReason value's name) of the
// refusals the checks tell apart.
namespace reason {
inline constexpr char kMemberNotFound[] = "ERROR_REASON_MEMBER_NOT_FOUND";
inline constexpr char kMemberClosed[] = "ERROR_REASON_MEMBER_CLOSED";
inline constexpr char kMemberMerged[] = "ERROR_REASON_MEMBER_MERGED";
inline constexpr char kMemberNotSettled[] = "ERROR_REASON_MEMBER_NOT_SETTLED";
inline constexpr char kIdentifierTaken[] = "ERROR_REASON_IDENTIFIER_TAKEN";
inline constexpr char kIdentifierNotFound[] =
    "ERROR_REASON_IDENTIFIER_NOT_FOUND";
inline constexpr char kTooManyIdentifiers[] =
    "ERROR_REASON_TOO_MANY_IDENTIFIERS";
inline constexpr char kOrderIdConflict[] = "ERROR_REASON_ORDER_ID_CONFLICT";
inline constexpr char kOrderNotFound[] = "ERROR_REASON_ORDER_NOT_FOUND";
inline constexpr char kReturnExceedsOrder[] =
    "ERROR_REASON_RETURN_EXCEEDS_ORDER";
inline constexpr char kTransferLimitReached[] =
    "ERROR_REASON_TRANSFER_LIMIT_REACHED";
inline constexpr char kInsufficientPoints[] =
    "ERROR_REASON_INSUFFICIENT_POINTS";
inline constexpr char kHoldNotActive[] = "ERROR_REASON_HOLD_NOT_ACTIVE";
inline constexpr char kHoldNotFound[] = "ERROR_REASON_HOLD_NOT_FOUND";
inline constexpr char kTooManyHolds[] = "ERROR_REASON_TOO_MANY_HOLDS";
inline constexpr char kCouponUsedUp[] = "ERROR_REASON_COUPON_USED_UP";
inline constexpr char kCouponNotFound[] = "ERROR_REASON_COUPON_NOT_FOUND";
inline constexpr char kCouponReservationNotActive[] =
    "ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE";
inline constexpr char kVoucherNotFound[] = "ERROR_REASON_VOUCHER_NOT_FOUND";
inline constexpr char kVoucherUnitsTooFew[] =
    "ERROR_REASON_VOUCHER_UNITS_TOO_FEW";
inline constexpr char kVoucherGiftNotClaimable[] =
    "ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE";
inline constexpr char kRewardOutOfStock[] = "ERROR_REASON_REWARD_OUT_OF_STOCK";
inline constexpr char kRewardNotCancellable[] =
    "ERROR_REASON_REWARD_NOT_CANCELLABLE";
}  // namespace reason

// The first page a check asks for when it reads a statement: most checks
// read a few new entries (later pages grow).
inline constexpr int32_t kNewEntriesPageSize = 64;

// Wallet: the acknowledged codes (as printed) each member was given, with
// the request that gave each, for failures.
using GivenCodes =
    std::map<std::string, std::vector<std::pair<std::string, std::string>>>;
// Each member's wallet (every page, usable or not) lists each code it was
// given exactly once: the wallet index row was written with its entry and
// survives every restart.
void CheckWallets(LedgerClient& client, const GivenCodes& given,
                  Failures* failures);

// The canonical form of a coupon or voucher code as printed or typed; as
// given if malformed.
std::string CanonicalCode(const std::string& code);

// "TransferPoints r-1 (cycle 3)": how failures name a request.
std::string RequestName(const SentRequest& request);

// "entry 42 of m-7": how failures name an entry of a member's statement.
std::string EntryWhere(uint64_t sequence, const std::string& member_id);

// "MERGE_OUT" for ENTRY_KIND_MERGE_OUT.
std::string KindName(loyalty::v1::EntryKind kind);

// A failure: the OK answer to `request` does not agree with itself, as
// `shown` (the response, or the part of it that disagrees) says.
void AddDisagreeingAnswer(const SentRequest& request, const std::string& shown,
                          Failures* failures);

// The program's time zone (test_program.h), in which transfer days and lot
// expiries are counted. Aborts without it: the program would not load.
absl::TimeZone ProgramTimeZone();

loyalty::v1::MemberIdentifier CardIdentifier(const std::string& card);

// `member_ids` and the member each leads to now in `graph`: a merged
// member's holds, orders and transfers go on there.
std::set<std::string> WithMembersNow(const std::set<std::string>& member_ids,
                                     const AliasGraph& graph);

// Where reading one member's statement got to.
struct StatementCursor {
  uint64_t scanned_through = 0;      // The newest entry read, 0 for none.
  std::string scanned_hash;          // Its hash.
  uint64_t merged_out_sequence = 0;  // Its MERGE_OUT, 0 for none.
  bool reading = false;              // Guards a loop of MERGE_INs.
};

// What NOT_FOUND for the statement of a member never read before means.
enum class UnknownMember {
  kFailure,       // Every member read must exist.
  kNeverExisted,  // A ghost the load named: it has no statement.
};

// Reads the entries of `member_id` after `cursor` (the first page of
// `page_size`), hands each to `fold`, oldest first, and moves `cursor` past
// it. nullopt, with a failure, when the read fails (but see `unknown`) or
// `member_id` is being read already: its merges lead back to it. `fold`
// may read other members (a MERGE_IN's source), so keep cursors where
// adding one moves none (a std::map).
std::optional<std::vector<loyalty::v1::LedgerEntry>> ReadNewEntries(
    LedgerClient& client, const std::string& member_id, int32_t page_size,
    UnknownMember unknown, StatementCursor* cursor,
    absl::FunctionRef<void(const loyalty::v1::LedgerEntry&)> fold,
    Failures* failures);

// The pairing at a MERGE_IN (at `where`): its source's statement must end
// with the MERGE_OUT right before it. `read_source` reads that statement
// when `source` has no MERGE_OUT yet. False, with a failure, otherwise:
// what the source had cannot be moved then.
bool FollowsMergeOut(const std::string& where,
                     const loyalty::v1::LedgerEntry& merge_in,
                     const StatementCursor& source,
                     absl::FunctionRef<void()> read_source, Failures* failures);

// Entries answers acknowledged, by sequence, and the hashes of those the
// statements show.
class AcknowledgedEntries {
 public:
  // Takes in `entry` of the answer to `request_name`; a failure when its
  // sequence was acknowledged before as another entry.
  void Acknowledge(const std::string& request_name,
                   const loyalty::v1::LedgerEntry& entry, Failures* failures);
  // Notes `entry` as read at `where` in a statement; a failure when no
  // answer acknowledged it.
  void See(const std::string& where, const loyalty::v1::LedgerEntry& entry,
           Failures* failures);
  // A failure for every acknowledged entry not seen as acknowledged.
  void CheckAllSeen(Failures* failures) const;

 private:
  std::map<uint64_t, loyalty::v1::LedgerEntry> acknowledged_;
  std::map<uint64_t, std::string> seen_hashes_;
};

// The kinds of a write in two halves: the first at sequence n on one
// member, naming the other; the second at n + 1 on that member, naming the
// first's.
struct PairKinds {
  loyalty::v1::EntryKind first;
  loyalty::v1::EntryKind second;
};
inline constexpr PairKinds kTransferPair{loyalty::v1::ENTRY_KIND_TRANSFER_OUT,
                                         loyalty::v1::ENTRY_KIND_TRANSFER_IN};
inline constexpr PairKinds kMergePair{loyalty::v1::ENTRY_KIND_MERGE_OUT,
                                      loyalty::v1::ENTRY_KIND_MERGE_IN};

bool IsHalfOf(PairKinds kinds, const loyalty::v1::LedgerEntry& entry);

// Whether `first` and `second` are the two halves of one write of `kinds`:
// their kinds, sequences n and n + 1, each naming the other's member, and
// opposite points.
bool IsPair(PairKinds kinds, const loyalty::v1::LedgerEntry& first,
            const loyalty::v1::LedgerEntry& second);

// The halves of `kinds` read from statements, until PairUp pairs them.
class EntryPairs {
 public:
  using Check = absl::FunctionRef<bool(const loyalty::v1::LedgerEntry&,
                                       const loyalty::v1::LedgerEntry&)>;
  using Visit = absl::FunctionRef<void(const loyalty::v1::LedgerEntry&,
                                       const loyalty::v1::LedgerEntry&)>;

  explicit EntryPairs(PairKinds kinds) : kinds_(kinds) {}

  void Add(const loyalty::v1::LedgerEntry& entry);

  // Pairs the halves added since the last call, oldest first: a first half
  // with the second at the next sequence when IsPair and `moves_alike`
  // (what the kind's halves must also agree on) hold, handing each pair to
  // `on_pair`. Every half left without its other half is a failure.
  void PairUp(Check moves_alike, Visit on_pair, Failures* failures);

 private:
  void ReportAlone(const loyalty::v1::LedgerEntry& entry,
                   Failures* failures) const;

  PairKinds kinds_;
  std::map<uint64_t, loyalty::v1::LedgerEntry> unpaired_;  // By sequence.
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_CHECK_SUPPORT_H_
