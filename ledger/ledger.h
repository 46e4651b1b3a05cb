// File: ledger/ledger.h
//
// The ledger: the single-writer, group-commit core of Loyalty Ledger.
//
// Mutations (Enroll, Earn, Redeem, Adjust, ...) are validated on the caller's
// thread, then queued. One writer thread takes every queued command (up to
// batch_commands_max), applies each in order, appends all resulting entries
// and state changes to one WriteSet, writes it with one fsync, and only then
// hands them to a completer thread that calls each command's `done`
// (promise 4), in queue order. One writer gives a total order, so
// sequence numbers, the hash chain and balance checks need no locks.
//
// Reads (GetMember, GetBalance, ListEntries, Verify) go straight to the store
// and never wait for the writer.
//
// Idempotency (promise 3): every mutation is remembered under (principal,
// request id) with a fingerprint of its content and its outcome. A retry with
// the same content gets the stored outcome (OK with `replayed` set, or the
// same business rejection) and writes nothing; different content under the
// same id is ALREADY_EXISTS. Malformed requests (INVALID_ARGUMENT) are never
// remembered.
//
// Outcomes of a mutation:
//   OK                   applied (or replayed); durable.
//   INVALID_ARGUMENT     malformed; names the field; nothing remembered.
//   NOT_FOUND            unknown member, hold or earned order; remembered.
//   FAILED_PRECONDITION  too few points, balance overflow, an event's
//                        window or limit, a hold no longer open or one
//                        too many, a return past what is left; remembered.
//   ALREADY_EXISTS       request id reused with other content (not
//                        remembered again), member id, identifier or order
//                        already taken (remembered).
//   RESOURCE_EXHAUSTED   queue full; nothing queued.
//   UNAVAILABLE          shutting down, or storage failed. After a failed
//                        write the ledger refuses all writes until it is
//                        reopened, because that batch's outcome is unknown.
//
// Usage:
//   auto ledger = Ledger::Open(store, program, clock, LedgerOptions{});
//   (*ledger)->Earn({"pos-17"}, request, [](absl::StatusOr<EarnResponse> r) {
//     ...  // Called once, on the completer thread (or inline if rejected
//          // before queueing).
//   });
#ifndef LOYALTY_LEDGER_LEDGER_H_
#define LOYALTY_LEDGER_LEDGER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/clock.h"
#include "ledger/identifiers.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/v1/records.pb.h"

namespace loyalty {

class Batch;
struct Command;

// The layout of stored data this build reads and writes; Open refuses a
// data directory of another version. 2: lots, pending and held points,
// holds and the schedule family.
inline constexpr uint32_t kLedgerSchemaVersion = 2;

struct LedgerOptions {
  // Commands waiting for the writer; beyond this Submit answers
  // RESOURCE_EXHAUSTED instead of growing memory.
  size_t queue_commands_max = 100'000;
  // Commands the writer applies and syncs together.
  size_t batch_commands_max = 4'096;
  // The secret behind the hashes of phone and email identifiers
  // (identifiers.h); at least 16 bytes. Empty: such identifiers are refused.
  // A ledger that stored any refuses to open with another key.
  std::string identifier_key{};
};

// Who sent a command: the authenticated principal (promise 8).
struct Caller {
  std::string principal;
};

// What one sweep did.
struct SweepResult {
  uint64_t members_settled = 0;  // Members that had something due.
  uint64_t entries_written = 0;
  // True when it stopped at its limit with more members due: sweep again.
  bool more = false;
};

struct WriterStats {
  static constexpr int kHistogramBuckets = 21;
  uint64_t batches = 0;
  uint64_t commands = 0;
  uint64_t entries = 0;
  uint64_t batch_commands_max_seen = 0;
  uint64_t queue_depth = 0;
  uint64_t last_sequence = 0;
  // batch_size_histogram[k]: batches of 2^k .. 2^(k+1)-1 commands.
  std::array<uint64_t, kHistogramBuckets> batch_size_histogram{};
  // Time applying commands, and writing + fsyncing batches.
  uint64_t apply_us_total = 0;
  uint64_t write_us_total = 0;
  uint64_t write_us_max = 0;
  // write_us_histogram[k]: batch writes of 2^k .. 2^(k+1)-1 microseconds.
  std::array<uint64_t, kHistogramBuckets> write_us_histogram{};
};

class Ledger {
 public:
  template <typename Response>
  using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

  // Opens the ledger over `store` (not owned; must outlive the ledger),
  // reading only the meta head, and starts the writer. `clock` likewise.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(
      LedgerStore* store, loyalty::v1::ProgramConfig program,
      const Clock* clock, LedgerOptions options);

  // Shuts down (see Shutdown).
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Mutations. `done` is called exactly once.
  void Enroll(const Caller& caller, loyalty::v1::EnrollMemberRequest request,
              Done<loyalty::v1::EnrollMemberResponse> done);
  void Earn(const Caller& caller, loyalty::v1::EarnRequest request,
            Done<loyalty::v1::EarnResponse> done);
  void Redeem(const Caller& caller, loyalty::v1::RedeemRequest request,
              Done<loyalty::v1::RedeemResponse> done);
  void Adjust(const Caller& caller, loyalty::v1::AdjustRequest request,
              Done<loyalty::v1::AdjustResponse> done);
  // Engagement event: INVALID_ARGUMENT for an event the program lacks or a
  // channel it does not allow; FAILED_PRECONDITION (remembered) outside its
  // window (EVENT_NOT_ACTIVE) or past a per-member limit
  // (EVENT_LIMIT_REACHED).
  void RecordEvent(const Caller& caller,
                   loyalty::v1::RecordEventRequest request,
                   Done<loyalty::v1::RecordEventResponse> done);

  // Two-phase redemption. Hold reserves available points (INSUFFICIENT_
  // POINTS, TOO_MANY_HOLDS); Capture spends a hold, Release gives it back,
  // each once: NOT_FOUND (HOLD_NOT_FOUND) for an id that is no HOLD of the
  // member, FAILED_PRECONDITION (HOLD_NOT_ACTIVE) for one captured,
  // released or timed out.
  void HoldPoints(const Caller& caller, loyalty::v1::HoldPointsRequest request,
                  Done<loyalty::v1::HoldPointsResponse> done);
  void CapturePoints(const Caller& caller,
                     loyalty::v1::SettleHoldRequest request,
                     Done<loyalty::v1::SettleHoldResponse> done);
  void ReleasePoints(const Caller& caller,
                     loyalty::v1::SettleHoldRequest request,
                     Done<loyalty::v1::SettleHoldResponse> done);

  // A return of part or all of an earned order (orders.h has the
  // arithmetic): NOT_FOUND (ORDER_NOT_FOUND) for an order the member never
  // earned on, FAILED_PRECONDITION (RETURN_EXCEEDS_ORDER) for more than is
  // left to return.
  void Return(const Caller& caller, loyalty::v1::ReturnRequest request,
              Done<loyalty::v1::ReturnResponse> done);

  // Writes the time-driven entries (hold timeouts, maturations, expiries)
  // of up to `members_max` members whose schedule says something is due
  // now. Every write to a member does the same for that member first; the
  // sweep reaches members nobody touches. loyaltyd runs it periodically.
  void Sweep(int members_max, Done<SweepResult> done);

  // Identity. Link: ALREADY_EXISTS (IDENTIFIER_TAKEN) when any member has
  // the identifier, FAILED_PRECONDITION (TOO_MANY_IDENTIFIERS) past
  // kIdentifiersPerMemberMax. Unlink: NOT_FOUND (IDENTIFIER_NOT_FOUND) when
  // the member lacks it.
  void LinkIdentifier(const Caller& caller,
                      loyalty::v1::LinkIdentifierRequest request,
                      Done<loyalty::v1::LinkIdentifierResponse> done);
  void UnlinkIdentifier(const Caller& caller,
                        loyalty::v1::UnlinkIdentifierRequest request,
                        Done<loyalty::v1::UnlinkIdentifierResponse> done);

  // Moves available points, with their expiry dates, from one member to
  // another in one batch (both entries or neither). FAILED_PRECONDITION:
  // TRANSFER_NOT_ALLOWED without the program's transfer_rules,
  // TRANSFER_LIMIT_REACHED past its per-transfer or per-day limit,
  // INSUFFICIENT_POINTS, BALANCE_OVERFLOW for the receiver.
  void TransferPoints(const Caller& caller,
                      loyalty::v1::TransferPointsRequest request,
                      Done<loyalty::v1::TransferPointsResponse> done);

  // One legacy balance: finds the member by card (or enrols one), links the
  // phone, credits an OPENING entry. ALREADY_EXISTS (IDENTIFIER_TAKEN) when
  // the phone belongs to another member. With `dry_run` the same rules run
  // against the stored state and nothing is written or remembered.
  void ImportMember(const Caller& caller,
                    loyalty::v1::ImportMemberRequest request, bool dry_run,
                    Done<loyalty::v1::ImportMemberResponse> done);

  // Closes a member (README "Closing a member"): a CLOSE entry forfeits the
  // remaining available points or writes off a debt, and with
  // erase_personal_data removes every identifier. FAILED_PRECONDITION:
  // MEMBER_NOT_SETTLED while points are pending or holds open,
  // MEMBER_CLOSED when it is closed already. Every later write naming a
  // closed member is FAILED_PRECONDITION (MEMBER_CLOSED).
  void CloseMember(const Caller& caller, loyalty::v1::CloseMemberRequest request,
                   Done<loyalty::v1::CloseMemberResponse> done);

  // Merges the source member into the target (README "Merging members"):
  // a MERGE_OUT on the source and a MERGE_IN on the target, in one batch,
  // move everything the source owns; orders move with it. The source is an
  // alias from then on: every read and write naming it acts on the target,
  // except CloseMember and MergeMembers' source (MEMBER_MERGED).
  // FAILED_PRECONDITION: TOO_MANY_IDENTIFIERS, ORDER_ID_CONFLICT,
  // MEMBER_MERGED, MEMBER_CLOSED, BALANCE_OVERFLOW.
  void MergeMembers(const Caller& caller,
                    loyalty::v1::MergeMembersRequest request,
                    Done<loyalty::v1::MergeMembersResponse> done);

  // What Earn would grant for `request` now, by the same rules; writes
  // nothing. InvalidArgument as Earn (request id and order id optional),
  // NotFound for an unknown member.
  absl::StatusOr<loyalty::v1::QuoteEarnResponse> QuoteEarn(
      const loyalty::v1::EarnRequest& request) const;

  // Reads, as of the clock's now (see Balance.as_of_ms). NotFound
  // (MEMBER_NOT_FOUND) for an unknown member.
  absl::StatusOr<loyalty::v1::Member> GetMember(
      absl::string_view member_id) const;
  absl::StatusOr<loyalty::v1::Balance> GetBalance(
      absl::string_view member_id) const;
  // The member that has `identifier` (given in clear, in any notation);
  // NotFound (MEMBER_NOT_FOUND) when nobody has it, InvalidArgument for a
  // malformed one.
  absl::StatusOr<loyalty::v1::Member> LookupMember(
      const loyalty::v1::MemberIdentifier& identifier) const;
  // Newest first. InvalidArgument for a bad page size or token.
  absl::StatusOr<loyalty::v1::ListEntriesResponse> ListEntries(
      const loyalty::v1::ListEntriesRequest& request) const;

  // Replays every entry from sequence 1 and compares with stored state: the
  // sequence has no gaps, the hash chain holds, every member's record equals
  // its replay, every identifier and order index points where the entries
  // say, and the head matches the last entry. Problems are in the response
  // (ok=false); a non-OK status means the store could not be read.
  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Verify() const;

  // Stops accepting mutations (they get UNAVAILABLE), lets the writer finish
  // every queued command, and joins it. Idempotent.
  void Shutdown();

  WriterStats stats() const;
  const loyalty::v1::ProgramConfig& program() const { return program_; }

 private:
  Ledger(LedgerStore* store, loyalty::v1::ProgramConfig program,
         const Clock* clock, LedgerOptions options,
         loyalty::v1::LedgerHead head, absl::TimeZone time_zone,
         IdentifierCodec identifiers);

  // The stored head, or the genesis head of an empty ledger; an error for a
  // head of another schema version or one that does not decode.
  // The head also carries the identifier key's check value: set here for a
  // ledger that has none yet, refused when it differs.
  static absl::StatusOr<loyalty::v1::LedgerHead> ReadHead(
      const LedgerStore& store, const loyalty::v1::ProgramConfig& program,
      const std::string& identifier_key_check);

  // Queues `command`, or completes it at once with the reason it cannot be.
  void Submit(std::unique_ptr<Command> command);
  void WriterLoop();
  void ProcessBatch(std::deque<std::unique_ptr<Command>> commands);
  // Passes a synced (or failed) batch to the completer thread, which calls
  // each command's `done` in order, so the writer can start on the next
  // batch at once.
  void HandOff(std::deque<std::unique_ptr<Command>> commands);
  void CompleterLoop();
  void Apply(Command& command, Batch& batch);
  absl::Status ApplyEnroll(Command& command, Batch& batch);
  absl::Status ApplyEarn(Command& command, Batch& batch);
  absl::Status ApplyRedeem(Command& command, Batch& batch);
  absl::Status ApplyAdjust(Command& command, Batch& batch);
  absl::Status ApplyEvent(Command& command, Batch& batch);
  absl::Status ApplyHold(Command& command, Batch& batch);
  absl::Status ApplySettleHold(Command& command, Batch& batch);
  absl::Status ApplyReturn(Command& command, Batch& batch);
  absl::Status ApplyLink(Command& command, Batch& batch);
  absl::Status ApplyUnlink(Command& command, Batch& batch);
  absl::Status ApplyTransfer(Command& command, Batch& batch);
  absl::Status ApplyImport(Command& command, Batch& batch);
  absl::Status ApplyClose(Command& command, Batch& batch);
  absl::Status ApplyMerge(Command& command, Batch& batch);
  // Rewrites the member ids a queued request names to the members they
  // resolve to (aliases of merged members), or refuses where naming an
  // alias is an error (MEMBER_MERGED). Runs before the command's rules.
  absl::Status ResolveAliases(Command& command, Batch& batch);
  // The member `member_id` resolves to in the store (itself unless it was
  // merged); NotFound as ReadMember.
  absl::StatusOr<loyalty::v1::MemberRecord> ReadResolved(
      absl::string_view member_id) const;

  absl::Status ApplySweep(Command& command, Batch& batch);
  // The member's balance as of `now_ms` (what fell due since its last
  // write counted as if written; see points.h).
  loyalty::v1::Balance BalanceAt(const loyalty::v1::MemberRecord& record,
                                 int64_t now_ms) const;
  // Loads the member and appends every time-driven entry due for it.
  absl::StatusOr<loyalty::v1::MemberRecord*> SettleMember(
      absl::string_view member_id, Batch& batch);
  // SettleMember for a command that writes to the member: FAILED_PRECONDITION
  // (MEMBER_CLOSED) for a closed one.
  absl::StatusOr<loyalty::v1::MemberRecord*> LoadSettled(
      absl::string_view member_id, Batch& batch);
  // The public view of a member record as of `now_ms` (balance, tier).
  loyalty::v1::Member MemberAt(const loyalty::v1::MemberRecord& record,
                               int64_t now_ms) const;

  LedgerStore* const store_;
  const loyalty::v1::ProgramConfig program_;
  const absl::TimeZone time_zone_;  // The program's, for event days.
  const IdentifierCodec identifiers_;
  const Clock* const clock_;
  const LedgerOptions options_;

  mutable absl::Mutex mutex_;
  absl::CondVar queue_not_empty_;
  std::deque<std::unique_ptr<Command>> queue_ ABSL_GUARDED_BY(mutex_);
  bool accepting_ ABSL_GUARDED_BY(mutex_) = true;
  // Set when a write failed: its outcome is unknown, so no further writes.
  absl::Status write_failure_ ABSL_GUARDED_BY(mutex_);
  WriterStats stats_ ABSL_GUARDED_BY(mutex_);

  // Writer thread only.
  loyalty::v1::LedgerHead head_;
  std::thread writer_;

  absl::Mutex completion_mutex_;
  std::deque<std::deque<std::unique_ptr<Command>>> completions_
      ABSL_GUARDED_BY(completion_mutex_);
  bool completer_stopping_ ABSL_GUARDED_BY(completion_mutex_) = false;
  std::thread completer_;
  bool joined_ = false;  // Guarded by shutdown_mutex_.
  absl::Mutex shutdown_mutex_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_LEDGER_H_
