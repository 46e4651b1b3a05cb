// File: tests/model/runner.h
//
// The model test's runner (see harness.h), shared by its files and included
// by nothing else: harness.cc holds the engine (the run, every call into
// the Ledger, the checks every command gets: outcome, entries, balances,
// lookups, Verify, statements), store_checks.cc what was written and the
// store scans, points_checks.cc and members_checks.cc the checks of each
// domain's commands. A new domain adds a <domain>_checks.cc with its
// Runner methods, declared here.
#ifndef LOYALTY_TESTS_MODEL_RUNNER_H_
#define LOYALTY_TESTS_MODEL_RUNNER_H_

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "generator.h"
#include "harness.h"
#include "ledger/common/clock.h"
#include "ledger/common/random_source.h"
#include "ledger/commands.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"
#include "ledger/storage/memory_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "model.h"
#include "recording_store.h"

namespace loyalty::model {

// ---------------------------------------------------------------------------
// The ledger's answer to one command, in one shape for every kind.

struct Observed {
  absl::Status status;
  bool replayed = false;
  std::string member_id;
  v1::LedgerEntry entry;
  v1::Balance balance;
  int64_t points_earned = 0;
  int64_t discount_minor = 0;  // Earn: its coupons' discounts, and how many.
  int coupons_applied = 0;
  std::vector<std::pair<int, std::string>> identifiers;  // Enroll's member.
  std::string hold_id;                                   // HoldPoints.
  int64_t hold_expires_at_ms = 0;                        // HoldPoints.
  // Return: every entry of the response and its figures.
  std::vector<v1::LedgerEntry> entries;
  int64_t points_reversed = 0;
  int64_t points_forgiven = 0;
  int64_t points_restored = 0;
  // Link and unlink answer without a balance.
  bool has_balance = true;
  v1::Balance to_balance;           // Transfer: the receiver's.
  v1::ImportMemberResponse import;  // Import: the whole response.
  v1::Member member;                // Close and merge: the member after it.
  v1::Coupon coupon;                // IssueCoupon and RedeemCoupon.
  // Voucher commands: the voucher shown (see Fill), a transfer's received
  // one, a gift's or claim's gift, a refund's amount.
  v1::Voucher voucher;
  v1::Voucher received;
  v1::VoucherGift gift;
  v1::MinorAmount refund;
  v1::GenerateCouponChunkResponse chunk;  // Bulk coupon codes.
  uint64_t response_hash = 0;  // Of the response with `replayed` cleared.
  // Coupons issued by program rules: the codes an earn or a merge issued,
  // as printed, in entry order.
  std::vector<std::string> rule_coupon_codes;
};

// "" when the contract's coupon or voucher view `got` shows the model's
// `want` at `now_ms`; else what differs (coupons_checks.cc,
// vouchers_checks.cc).
std::string CompareCoupon(const CouponState& want, const v1::Coupon& got,
                          int64_t now_ms);
std::string CompareVoucher(const VoucherState& want, const v1::Voucher& got,
                           int64_t now_ms);

// The program's campaign and tiers, as the model and the ledger get them
// (harness.cc).
CampaignRule ProgramCampaign();
TierProgram ProgramTiers();

// "" when `got`, a MERGE_IN's merged_member_record, is the source exactly
// as the model had it just before the merge; else which fields differ
// (members_checks.cc).
std::string CompareRecord(const MemberState& want, const storage::v1::MemberRecord& got);
// "" when the stored entry `got` is the one the model expects; else what
// differs.
// `storage`: the stored body's storage fields, when `got` was read from the
// store (responses and statements carry none: they are not the contract's).
std::string CompareEntry(
    const ExpectedEntry& want, const v1::LedgerEntry& got,
    const storage::v1::EntryStorageFields* storage = nullptr);
// Every field of the balance (a snapshot: next_expiring and as_of set).
bool SameTotals(const Totals& t, const v1::Balance& b);
std::string TotalsText(const Totals& t);
std::string BalanceText(const v1::Balance& b);
std::string OutcomeText(const absl::Status& status);
// The members whose entries `entries` are (store_checks.cc).
std::set<std::string> MembersOf(const std::vector<ExpectedEntry>& entries);
// The families of the recorded puts and erases, in order, for failures
// (store_checks.cc).
std::string PutsText(const Recording& recording);

// A note for a crash: if the ledger aborts (a LEDGER_CHECK), the seed and
// the command being run are printed before the process dies.
class CrashNote {
 public:
  CrashNote();
  ~CrashNote();
  void Set(const std::string& text);
};

class Runner {
 public:
  explicit Runner(const RunOptions& options);

  RunReport Run();

 private:
  static std::vector<EarnRateRule> Rates();
  static CampaignRule Campaign();
  static std::vector<EventRule> Events();
  static TierProgram Tiers();
  // The test program; its offline shortfall policy is the seed's.
  v1::ProgramConfig Program() const;

  bool RunOne();
  // QuoteEarn (harness.cc) judged against the model (points_checks.cc).
  bool CheckQuote(const v1::EarnRequest& request);
  bool JudgeQuote(const v1::EarnRequest& request,
                  const absl::StatusOr<v1::QuoteEarnResponse>& quote);
  bool RunGroup(int64_t size);
  // Ledger::Sweep against Model::Sweep, on its own.
  bool RunSweep();
  // Model side and comparison of one answered command.
  bool Judge(const Command& command, const Observed& observed,
             Expected* expected);
  // What the entries written count, by domain.
  void Count(const std::vector<ExpectedEntry>& entries);
  void CountPointsEntry(const ExpectedEntry& entry);
  void CountMembersEntry(const ExpectedEntry& entry);
  // What a remembered rejection of the points domain counts.
  void CountPointsRejection(v1::ErrorReason reason);
  void CountMembersCommand(const Command& command, const Expected& expected);
  // An OK response against the model: the fields every kind has
  // (harness.cc), then the kind's own, in its domain's file ("" when the
  // kind is not of that domain).
  std::string CompareOk(const Command& command, const Expected& expected,
                        const Observed& observed);
  std::string ComparePointsOk(const Command& command, const Expected& expected,
                              const Observed& observed);
  // IssueCoupon and RedeemCoupon's coupon (coupons_checks.cc); "" for
  // other kinds.
  std::string CompareCouponsOk(const Command& command, const Expected& expected,
                               const Observed& observed);
  // The coupons and coupon_counts families hold exactly the model's coupons
  // and counts, and GetCoupon shows each as the model has it now.
  bool CheckCoupons();
  void CountCouponRejection(v1::ErrorReason reason);
  // Coupons issued by program rules (rule_coupons_checks.cc): hands the
  // codes an applied earn's or merge's answer lists to the model; fails
  // for a code not well-formed, twice, or one the model knows.
  bool SetRuleCouponCodes(const Observed& observed);
  // Bulk coupon codes (coupons_checks.cc): a new chunk's codes as its entry
  // lists them, comma-separated, or why they cannot be (not canonical,
  // twice, or a code the model knows); a chunk's answer against the model;
  // what a chunk did, for the report.
  absl::StatusOr<std::string> DrawnCodes(
      const v1::GenerateCouponChunkResponse& chunk);
  std::string CompareGeneratedOk(const Command& command,
                                 const Expected& expected,
                                 const Observed& observed);
  void CountGenerated(const Expected& expected);
  // ValidateCoupon with the redemption's context, member and code.
  absl::StatusOr<v1::ValidateCouponResponse> ValidateCouponBefore(
      const v1::RedeemCouponRequest& request);
  // A redemption decided now (not a replay, not malformed) got what
  // ValidateCoupon said just before: the same code and reason, and when
  // both are OK the coupon one use before.
  bool CheckValidatedCoupon(
      const absl::StatusOr<v1::ValidateCouponResponse>& validated,
      const Expected& expected);
  std::string CompareMembersOk(const Command& command, const Expected& expected,
                               const Observed& observed);
  std::string CompareImport(const Expected& expected, const Observed& observed);
  std::string CompareMerge(const Expected& expected, const Observed& observed);
  // The voucher commands' answers (vouchers_checks.cc).
  std::string CompareVouchersOk(const Command& command,
                                const Expected& expected,
                                const Observed& observed);
  void CountVoucherEntry(const ExpectedEntry& entry);
  void CountVoucherRejection(v1::ErrorReason reason);
  // The rewards catalog (rewards_checks.cc): RedeemReward's and
  // CancelReward's answers; the reward_counts family against the model.
  std::string CompareRewardsOk(const Command& command, const Expected& expected,
                               const Observed& observed);
  void CountRewardRejection(v1::ErrorReason reason);
  bool CheckRewards();
  // A Member view (a close's or merge's response) against the model's
  // member `member_id` as of now: id, status, identifiers, aliases, tier.
  std::string CompareMemberView(const std::string& member_id,
                                const v1::Member& member);
  // The member's identifiers as the ledger must store them, in order.
  std::vector<std::pair<int, std::string>> StoredIdentifiers(
      const std::string& member_id) const;
  // GetBalance and GetMember of `named_id` against the model's member it
  // stands for (itself, or for an alias the member it resolves to) as of
  // now: balance, id, status, identifiers, aliases, tier status.
  bool CheckBalanceOf(const std::string& named_id);
  // Wallet (wallet_checks.cc): ListWallet of `named_id`, every page, with
  // and without include_unusable, lists exactly the codes of the coupons
  // and vouchers the model gave to the member it resolves to and to the
  // members merged into it, oldest first (the usable ones without).
  bool CheckWalletOf(const std::string& named_id);
  absl::StatusOr<std::vector<std::string>> ListWalletCodes(
      const std::string& named_id, bool include_unusable);
  // Before the ledger settles `member_id` (a command, a sweep or a read):
  // fails, naming the case, when the expiries due would push its
  // expired_points_total past INT64_MAX, which the contract leaves open
  // (the ledger aborts on it).
  bool CheckExpiredTotalFits(const std::string& member_id);
  // The members a command names (both of a transfer; an import's card
  // owner, as the model has it before the command).
  std::vector<std::string> MembersNamed(const Command& command) const;
  bool CheckBalance(const Command& command, const Expected& expected);
  // LookupMember of (kind, canonical) in a random notation: the owner the
  // model has, or NOT_FOUND (MEMBER_NOT_FOUND) when nobody has it.
  // (harness.cc, judged by JudgeLookup in members_checks.cc).
  bool CheckLookup(v1::IdentifierKind kind, const std::string& canonical);
  bool JudgeLookup(v1::IdentifierKind kind, const std::string& canonical,
                   const absl::StatusOr<v1::Member>& member);
  // After a command: the identifiers it named, one of a random member and
  // one unlinked earlier.
  bool CheckLookupsAfter(const Command& command, const Expected& expected);
  // Every identifier owned and every one unlinked (`all`), or a sample.
  bool CheckLookups(bool all);
  bool CheckWrites(const Command& command, const Expected& expected,
                   const Recording& recording, uint64_t write_count_before);
  bool CheckGroupWrites(const std::vector<Expected>& expected,
                        const Recording& recording,
                        uint64_t write_count_before);
  // The entries written (kEntries and their kMemberEntries keys), in order,
  // are exactly `entries`.
  bool CheckEntryWrites(const Recording& recording,
                        const std::vector<ExpectedEntry>& entries);
  // The identifier family's puts and erases are exactly those of the
  // identifiers the entries link (ENROLL, LINK) and unlink (UNLINK).
  bool CheckIdentifierWrites(const Recording& recording,
                             const std::vector<ExpectedEntry>& entries);
  // Applies the recorded schedule puts and erases to schedule_ (erases of
  // existing keys, puts of new ones, only for `touched` members), then
  // checks each touched member's key against the model; with `moves`, the
  // puts and erases must be exactly those.
  bool CheckScheduleWrites(const Recording& recording,
                           const std::set<std::string>& touched,
                           const std::vector<ScheduleMove>* moves);
  bool CheckScan(const StorePrint& before, const Recording& recording);
  // The wallet family's size the model implies (store_checks.cc).
  int64_t WalletRowsOfModel() const;
  bool ShouldScan();
  // Starts a step: nothing may have been written since the last one; on a
  // sampled step, the store as it is now.
  bool Before(std::optional<StorePrint>* before, uint64_t* write_count);
  absl::StatusOr<StorePrint> Scan();
  bool CheckVerify();
  // Offline redemptions reconciled short: the sequences of their entries,
  // noted from each judged command, against the ledger's listing.
  void NoteReconciliations(const Expected& expected);
  bool CheckReconciliations();
  bool CheckStatement(const std::string& member_id);
  bool CheckStatements(bool all);
  bool CheckMembers();
  // Moves the clock; returns the member whose due instant it moved to, if
  // it did ("" otherwise).
  std::string AdvanceClock();
  void Note(const Command& command, const std::string& outcome);
  void NoteLine(std::string line);
  bool Fail(const std::string& problem);
  template <typename T>
  T Await(std::future<T>& future);

  const RunOptions options_;
  ManualClock clock_;
  // The ledger's member ids and codes, from the seed: a seed replays the
  // same run, byte for byte.
  SeededRandomSource ledger_random_;
  MemoryStore memory_;
  RecordingStore store_;
  std::unique_ptr<Ledger> ledger_;
  Model model_;
  Generator generator_;
  std::mt19937_64 check_rng_;  // Check sampling: never affects commands.
  CrashNote crash_note_;
  RunReport report_;
  std::vector<uint64_t> reconciliations_;
  int64_t commands_ = 0;
  // (principal, request id) -> hash of the first OK response.
  std::map<std::pair<std::string, std::string>, uint64_t> first_responses_;
  std::deque<std::string> history_;
  // The last full scan, and MemoryStore::write_count when it was taken.
  std::optional<StorePrint> last_print_;
  uint64_t last_print_write_count_ = 0;
  std::string current_;  // The command being judged, for failure reports.
  // The schedule family as the recorded writes left it: member -> due
  // times (one at most), with its key count and hash sum (as StorePrint).
  std::map<std::string, std::set<int64_t>> schedule_;
  // Per member, its debt after the newest entry counted.
  std::map<std::string, int64_t> debt_seen_;
  FamilyPrint schedule_print_;
};

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_RUNNER_H_
