// File: ledger/engine/ledger.h
//
// The ledger: the single-writer, group-commit core of Loyalty Ledger.
//
// Mutations (Enroll, Earn, Redeem, Adjust, ...) are validated on the caller's
// thread, then queued. One writer thread takes every queued command (up to
// batch_commands_max), decides each in order, and collects all resulting
// entries and state changes in one WriteSet. A syncer thread writes that set
// with one fsync and only then hands the batch to a completer thread that
// calls each command's `done` (promise 4), in queue order. One writer gives
// a total order, so sequence numbers, the hash chain and balance checks need
// no locks.
//
// The writer and the syncer form a two-stage pipeline: while batch N is
// written and synced, the writer decides batch N+1, reading through N's
// write set (engine/pending_writes.h). At most one batch is being synced;
// N+1 is handed over only once N is synced, and never written if N failed,
// so nothing decided on a state that did not become durable is kept.
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
// Every mutation is a command spec (engine/command.h) listed in the command
// table (ledger/commands.h); Submit runs any of them.
//
// Usage:
//   auto ledger = Ledger::Open(store, program, clock, LedgerOptions{});
//   (*ledger)->Submit<EarnCommand>(
//       {"pos-17"}, request, [](absl::StatusOr<EarnResponse> r) {
//         ...  // Called once, on the completer thread (or inline if
//              // rejected before queueing).
//       });
#ifndef LOYALTY_LEDGER_ENGINE_LEDGER_H_
#define LOYALTY_LEDGER_ENGINE_LEDGER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/common/clock.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/random_source.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/command.h"
#include "ledger/engine/member_cache.h"
#include "ledger/members/identifiers.h"
#include "ledger/offline/list_reconciliations.h"
#include "ledger/read/entry_stream.h"
#include "ledger/read/reader.h"
#include "ledger/rewards/list_rewards.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

class Batch;

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
  // Member records the writer keeps between batches (engine/member_cache.h);
  // 0 = none. Each costs its record's size, typically under 1 KiB.
  size_t member_cache_max = 65'536;
  // The secret behind the hashes of phone and email identifiers
  // (identifiers.h); at least 16 bytes. Empty: such identifiers are refused.
  // A ledger that stored any refuses to open with another key.
  std::string identifier_key{};
  // Where member ids and coupon, voucher and claim codes come from; drawn
  // only on the writer thread. Null: the operating system's cryptographic
  // source. A test sets a seeded one to replay a run exactly.
  RandomSource* random_source = nullptr;
  // Called once, on the syncer thread, when a batch write fails (the
  // ledger refuses writes from then on); loyaltyd logs it. May be empty.
  std::function<void(const absl::Status&)> on_write_failure;
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
  // The writer's member cache: loads it answered, loads it missed, records.
  uint64_t member_cache_hits = 0;
  uint64_t member_cache_misses = 0;
  uint64_t member_cache_size = 0;
  // write_us_histogram[k]: batch writes of 2^k .. 2^(k+1)-1 microseconds.
  std::array<uint64_t, kHistogramBuckets> write_us_histogram{};
  // Retries answered with the remembered outcome (idempotent replays),
  // and members enrolled (ENROLL entries), in synced batches since start.
  uint64_t replays = 0;
  uint64_t members_enrolled = 0;
  // A write failed: the ledger refuses writes until it is reopened.
  bool writes_refused = false;
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

  // Runs the mutation `Spec` (a row of ledger/commands.h): Spec::Prepare on
  // this thread (a malformed request is answered at once and never
  // remembered), then the writer decides it in order and `done` is called
  // exactly once, after the outcome is durable. The spec's header says what
  // each outcome means.
  template <typename Spec>
  void Submit(const Caller& caller, typename Spec::Request request,
              Done<typename Spec::Response> done, SubmitOptions options = {});

  // Runs one of the ledger's own commands (the sweep): no caller, no request
  // id, nothing remembered; entries record the "system" principal.
  template <typename Spec>
  void SubmitSystem(typename Spec::Request request,
                    Done<typename Spec::Response> done);

  // Reads, straight from the store (read/reader.h says what each answers).
  // QuoteEarn and ValidateCoupon answer what Earn and RedeemCoupon would:
  // an event too old for the program is EVENT_TOO_OLD here too (after the
  // request's own validation, as there).
  absl::StatusOr<loyalty::v1::QuoteEarnResponse> QuoteEarn(
      const loyalty::v1::EarnRequest& request) const {
    const int64_t now_ms = clock_->NowMs();
    return AgedAnswer(reader_.QuoteEarn(request, now_ms),
                      request.context().occurred_at_ms(), now_ms);
  }
  absl::StatusOr<loyalty::v1::Member> GetMember(
      absl::string_view member_id) const {
    return reader_.GetMember(member_id, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::Balance> GetBalance(
      absl::string_view member_id) const {
    return reader_.GetBalance(member_id, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::Coupon> GetCoupon(absl::string_view code) const {
    return reader_.GetCoupon(code, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::Voucher> GetVoucher(
      absl::string_view code) const {
    return reader_.GetVoucher(code, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::ValidateCouponResponse> ValidateCoupon(
      const loyalty::v1::ValidateCouponRequest& request) const {
    const int64_t now_ms = clock_->NowMs();
    return AgedAnswer(reader_.ValidateCoupon(request, now_ms),
                      request.context().occurred_at_ms(), now_ms);
  }
  absl::StatusOr<loyalty::v1::Member> LookupMember(
      const loyalty::v1::MemberIdentifier& identifier) const {
    return reader_.LookupMember(identifier, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::ListEntriesResponse> ListEntries(
      const loyalty::v1::ListEntriesRequest& request) const {
    return reader_.ListEntries(request);
  }
  // Rewards catalog (rewards/list_rewards.h).
  absl::StatusOr<loyalty::v1::ListRewardsResponse> ListRewards(
      const loyalty::v1::ListRewardsRequest& request) const {
    return loyalty::ListRewards(request, reader_, *store_, rules_,
                                clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::ListWalletResponse> ListWallet(
      const loyalty::v1::ListWalletRequest& request) const {
    return reader_.ListWallet(request, clock_->NowMs());
  }
  absl::StatusOr<loyalty::v1::ListOfflineReconciliationsResponse>
  ListOfflineReconciliations(
      const loyalty::v1::ListOfflineReconciliationsRequest& request) const {
    return loyalty::ListOfflineReconciliations(*store_, request);
  }
  // Bulk coupon codes: a chunk's entry, for the GenerateCoupons adapter.
  absl::StatusOr<loyalty::v1::LedgerEntry> ReadEntry(uint64_t sequence) const {
    return reader_.ReadEntry(sequence);
  }
  // The change stream (server/watch_entries.h). The last sequence whose
  // batch is durable (entries up to it can be read); a wait of at most
  // `timeout` for one past `sequence`, returning the durable sequence then;
  // and up to `count_max` stored entries of [from, through] as their hash
  // covers them (read/entry_stream.h).
  uint64_t DurableSequence() const;
  uint64_t AwaitDurableSequenceAfter(uint64_t sequence,
                                     absl::Duration timeout) const;
  absl::StatusOr<std::vector<loyalty::v1::StreamedEntry>> ReadStreamedEntries(
      uint64_t from_sequence, uint64_t through_sequence,
      size_t count_max) const {
    return loyalty::ReadStreamedEntries(*store_, from_sequence,
                                        through_sequence, count_max);
  }
  // Replays every entry from sequence 1 against a snapshot and compares
  // with stored state (read/verify.h). Problems are in the response
  // (ok=false); a non-OK status means the store could not be read.
  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Verify() const;

  // Backs the whole ledger up into the new directory root/name, as of one
  // moment between two synced batches, while writes go on; the manifest
  // carries the head there and this ledger's identifier key check
  // (ledger/backup/backup.h says what each outcome means).
  absl::StatusOr<loyalty::storage::v1::BackupManifest> Backup(
      const std::string& root, const std::string& name) const;

  // Stops accepting mutations (they get UNAVAILABLE), lets the writer finish
  // every queued command, and joins it. Idempotent.
  void Shutdown();

  WriterStats stats() const;
  const loyalty::v1::ProgramConfig& program() const { return program_; }

 private:
  Ledger(LedgerStore* store, loyalty::v1::ProgramConfig program,
         const Clock* clock, LedgerOptions options,
         loyalty::storage::v1::LedgerHead head, absl::TimeZone time_zone,
         IdentifierCodec identifiers);

  // The stored head, or the genesis head of an empty ledger; an error for a
  // head of another schema version or one that does not decode.
  // The head also carries the identifier key's check value: set here for a
  // ledger that has none yet, refused when it differs.
  static absl::StatusOr<loyalty::storage::v1::LedgerHead> ReadHead(
      const LedgerStore& store, const loyalty::v1::ProgramConfig& program,
      const std::string& identifier_key_check);

  // Queues `command`, or completes it at once with the reason it cannot be.
  void Enqueue(std::unique_ptr<QueuedCommand> command);
  // A batch the writer decided, on its way to the syncer.
  struct DecidedBatch {
    std::deque<std::unique_ptr<QueuedCommand>> commands;
    // Null when the batch writes nothing (every command replayed, refused or
    // dry).
    std::shared_ptr<const WriteSet> writes;
    loyalty::storage::v1::LedgerHead head;
    uint64_t entries = 0;
    uint64_t replays = 0;
    uint64_t members_enrolled = 0;
    uint64_t apply_us = 0;
    // Refused before deciding: an earlier write failed.
    bool refused = false;
  };

  void WriterLoop();
  void ProcessBatch(std::deque<std::unique_ptr<QueuedCommand>> commands);
  // Waits until the syncer has finished the batch before, then gives it
  // `decided`.
  void HandToSyncer(DecidedBatch decided);
  void SyncerLoop();
  // Writes (or refuses) one decided batch, records its stats and hands its
  // commands to the completer.
  void Sync(DecidedBatch decided);
  // Passes a synced (or failed) batch to the completer thread, which calls
  // each command's `done` in order, so the syncer can start on the next
  // batch at once.
  void HandOff(std::deque<std::unique_ptr<QueuedCommand>> commands);
  void CompleterLoop();
  // Idempotency around the rule: a known request id replays (or is
  // refused as reused), a new one is decided and its outcome remembered.
  // Returns whether the outcome was a replay of a remembered one.
  bool Execute(QueuedCommand& command, Batch& batch);
  // FailedPrecondition (EVENT_TOO_OLD) when an event dated occurred_at_ms
  // (0: now) is older than the program's event_age_max_hours at now_ms.
  absl::Status CheckEventAge(int64_t occurred_at_ms, int64_t now_ms) const;
  // A read's answer as the command it previews would give it: malformed
  // first, then too old, then the rule's own answer.
  template <typename Response>
  absl::StatusOr<Response> AgedAnswer(absl::StatusOr<Response> answer,
                                      int64_t occurred_at_ms,
                                      int64_t now_ms) const {
    if (absl::IsInvalidArgument(answer.status())) return answer;
    absl::Status fresh = CheckEventAge(occurred_at_ms, now_ms);
    if (!fresh.ok()) return fresh;
    return answer;
  }

  LedgerStore* const store_;
  const loyalty::v1::ProgramConfig program_;
  const IdentifierCodec identifiers_;
  // Refers to program_ and identifiers_ above.
  const Rules rules_;
  const Clock* const clock_;
  const LedgerOptions options_;
  SystemRandomSource system_random_;
  // options_.random_source, else &system_random_.
  RandomSource* const random_;
  const Reader reader_;

  mutable absl::Mutex mutex_;
  absl::CondVar queue_not_empty_;
  std::deque<std::unique_ptr<QueuedCommand>> queue_ ABSL_GUARDED_BY(mutex_);
  bool accepting_ ABSL_GUARDED_BY(mutex_) = true;
  // Set when a write failed: its outcome is unknown, so no further writes.
  absl::Status write_failure_ ABSL_GUARDED_BY(mutex_);
  WriterStats stats_ ABSL_GUARDED_BY(mutex_);

  // Writer thread only. `head_` and the member cache are as of the last
  // decided batch, which may still be syncing; `pending_writes_` is that
  // batch's write set until the next batch is handed over.
  loyalty::storage::v1::LedgerHead head_;
  MemberCache member_cache_;
  std::shared_ptr<const WriteSet> pending_writes_;
  std::thread writer_;

  absl::Mutex sync_mutex_;
  // The batch the syncer is to write; `syncing_` while it writes one.
  std::optional<DecidedBatch> to_sync_ ABSL_GUARDED_BY(sync_mutex_);
  bool syncing_ ABSL_GUARDED_BY(sync_mutex_) = false;
  bool syncer_stopping_ ABSL_GUARDED_BY(sync_mutex_) = false;
  std::thread syncer_;

  absl::Mutex completion_mutex_;
  std::deque<std::deque<std::unique_ptr<QueuedCommand>>> completions_
      ABSL_GUARDED_BY(completion_mutex_);
  bool completer_stopping_ ABSL_GUARDED_BY(completion_mutex_) = false;
  std::thread completer_;
  bool joined_ = false;  // Guarded by shutdown_mutex_.
  absl::Mutex shutdown_mutex_;
};

// SHA-256 over the command's name and the request's deterministic bytes:
// what tells a retry (same content) from a reuse of its request id.
std::string CommandFingerprint(absl::string_view name,
                               const google::protobuf::Message& request);

template <typename Spec>
void Ledger::Submit(const Caller& caller, typename Spec::Request request,
                    Done<typename Spec::Response> done, SubmitOptions options) {
  auto command =
      std::make_unique<Queued<Spec>>(std::move(request), std::move(done));
  // Only specs that declare a dry run have one; asking others is a bug in
  // the adapter, not bad input.
  LEDGER_CHECK(!options.dry_run || Spec::kInfo.has_dry_run);
  absl::Status valid = Spec::Prepare(rules_, clock_->NowMs(), command->request,
                                     command->prepared);
  if (!valid.ok()) {
    command->outcome = std::move(valid);
    command->Complete();
    return;
  }
  // After Prepare: phones and emails are hashed there and never kept in
  // clear, not even inside the remembered request's fingerprint.
  command->fingerprint = CommandFingerprint(Spec::kInfo.name, command->request);
  command->request_key =
      RequestKey(caller.principal, command->request.context().request_id());
  command->principal = caller.principal;
  command->dry_run = options.dry_run;
  command->occurred_at_ms = command->request.context().occurred_at_ms();
  Enqueue(std::move(command));
}

template <typename Spec>
void Ledger::SubmitSystem(typename Spec::Request request,
                          Done<typename Spec::Response> done) {
  auto command =
      std::make_unique<Queued<Spec>>(std::move(request), std::move(done));
  absl::Status valid = Spec::Prepare(rules_, clock_->NowMs(), command->request,
                                     command->prepared);
  if (!valid.ok()) {
    command->outcome = std::move(valid);
    command->Complete();
    return;
  }
  command->principal = std::string(kSystemPrincipal);
  Enqueue(std::move(command));
}

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_LEDGER_H_
