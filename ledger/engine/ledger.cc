// The ledger's queue, single writer and completer, and the idempotency
// around every rule. The rules live in their domains' folders (the command
// table, ledger/commands.h, lists them), the reads in read/reader.cc, the
// replay in read/verify.cc.
#include "ledger/engine/ledger.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/backup/backup.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/pending_writes.h"
#include "ledger/read/verify.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::LedgerHead;
using loyalty::storage::v1::RequestRecord;

constexpr uint32_t kSchemaVersion = kLedgerSchemaVersion;

// The histogram bucket of `value`: k such that 2^k <= value < 2^(k+1), with
// 0 and 1 in bucket 0 and everything large in the last bucket.
int Log2Bucket(uint64_t value) {
  int bucket = 0;
  while ((value >> (bucket + 1)) != 0 &&
         bucket + 1 < WriterStats::kHistogramBuckets) {
    ++bucket;
  }
  return bucket;
}

// Business rejections are remembered under the request id, so a retry gets
// the same answer; storage trouble is not, so a retry may succeed.
bool IsRemembered(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsFailedPrecondition(status) ||
         absl::IsAlreadyExists(status);
}

}  // namespace

std::string CommandFingerprint(absl::string_view name,
                               const google::protobuf::Message& request) {
  std::string material(name);
  material.push_back('\0');
  material += DeterministicBytes(request);
  return Sha256(material);
}

absl::StatusOr<LedgerHead> Ledger::ReadHead(
    const LedgerStore& store, const loyalty::v1::ProgramConfig& program,
    const std::string& identifier_key_check) {
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kMeta, std::string(kHeadKey));
  LedgerHead head;
  if (absl::IsNotFound(bytes.status())) {
    head.set_last_sequence(0);
    head.set_last_hash(GenesisHash());
    head.set_schema_version(kSchemaVersion);
    head.set_program_id(program.program_id());
    head.set_identifier_key_check(identifier_key_check);
    return head;
  }
  if (!bytes.ok()) return bytes.status();
  if (!head.ParseFromString(*bytes)) {
    return absl::DataLossError("the ledger head cannot be decoded");
  }
  if (head.schema_version() != kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the data directory has schema version ", head.schema_version(),
        "; this build reads ", kSchemaVersion));
  }
  if (head.last_hash().size() != kHashBytes) {
    return absl::DataLossError("the ledger head's hash is malformed");
  }
  if (head.identifier_key_check().empty()) {
    // Written with the next batch: from then on this key is the ledger's.
    head.set_identifier_key_check(identifier_key_check);
  } else if (head.identifier_key_check() != identifier_key_check) {
    return absl::FailedPreconditionError(
        identifier_key_check.empty()
            ? "this ledger's phone and email identifiers are hashed with an "
              "identifier key; start with the same --identifier-key-file"
            : "the identifier key differs from the one this ledger was "
              "written with; phone and email lookups would find nobody");
  }
  return head;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(
    LedgerStore* store, loyalty::v1::ProgramConfig program, const Clock* clock,
    LedgerOptions options) {
  LEDGER_CHECK(store != nullptr);
  LEDGER_CHECK(clock != nullptr);
  if (options.queue_commands_max == 0 || options.batch_commands_max == 0) {
    return absl::InvalidArgumentError(
        "queue_commands_max and batch_commands_max must be positive");
  }
  // The earn rules assume a valid program (positive steps, known currencies).
  LEDGER_RETURN_IF_ERROR(ValidateProgram(program));
  LEDGER_ASSIGN_OR_RETURN(absl::TimeZone time_zone, ProgramTimeZone(program));
  LEDGER_ASSIGN_OR_RETURN(
      IdentifierCodec identifiers,
      IdentifierCodec::Create(options.identifier_key,
                              program.default_phone_region()));
  LEDGER_ASSIGN_OR_RETURN(LedgerHead head,
                          ReadHead(*store, program, identifiers.KeyCheck()));
  return std::unique_ptr<Ledger>(new Ledger(store, std::move(program), clock,
                                            std::move(options), std::move(head),
                                            time_zone, std::move(identifiers)));
}

Ledger::Ledger(LedgerStore* store, loyalty::v1::ProgramConfig program,
               const Clock* clock, LedgerOptions options, LedgerHead head,
               absl::TimeZone time_zone, IdentifierCodec identifiers)
    : store_(store),
      program_(std::move(program)),
      identifiers_(std::move(identifiers)),
      rules_{program_, time_zone, identifiers_},
      clock_(clock),
      options_(options),
      random_(options_.random_source != nullptr ? options_.random_source
                                                 : &system_random_),
      reader_(store, &rules_),
      head_(std::move(head)),
      member_cache_(options_.member_cache_max) {
  stats_.last_sequence = head_.last_sequence();
  writer_ = std::thread([this] { WriterLoop(); });
  syncer_ = std::thread([this] { SyncerLoop(); });
  completer_ = std::thread([this] { CompleterLoop(); });
}

Ledger::~Ledger() { Shutdown(); }

void Ledger::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mutex_);
  if (joined_) return;
  {
    absl::MutexLock lock(&mutex_);
    accepting_ = false;
    queue_not_empty_.SignalAll();
  }
  // The writer hands its last batch over before it returns; the syncer
  // then writes it and stops.
  writer_.join();
  {
    absl::MutexLock lock(&sync_mutex_);
    syncer_stopping_ = true;
  }
  syncer_.join();
  {
    absl::MutexLock lock(&completion_mutex_);
    completer_stopping_ = true;
  }
  completer_.join();
  joined_ = true;
}

uint64_t Ledger::DurableSequence() const {
  absl::MutexLock lock(&mutex_);
  return stats_.last_sequence;
}

uint64_t Ledger::AwaitDurableSequenceAfter(uint64_t sequence,
                                           absl::Duration timeout) const {
  struct Wait {
    const WriterStats* stats;
    uint64_t sequence;
  } wait{nullptr, sequence};
  absl::MutexLock lock(&mutex_);
  wait.stats = &stats_;
  // Evaluated under mutex_ by whichever thread releases it (the syncer,
  // after it records a durable batch).
  mutex_.AwaitWithTimeout(
      absl::Condition(
          +[](Wait* w) { return w->stats->last_sequence > w->sequence; },
          &wait),
      timeout);
  return stats_.last_sequence;
}

WriterStats Ledger::stats() const {
  absl::MutexLock lock(&mutex_);
  WriterStats stats = stats_;
  stats.queue_depth = queue_.size();
  return stats;
}

void Ledger::Enqueue(std::unique_ptr<QueuedCommand> command) {
  {
    absl::MutexLock lock(&mutex_);
    if (!accepting_) {
      command->outcome =
          WithReason(absl::UnavailableError("the ledger is shutting down"),
                     loyalty::v1::ERROR_REASON_UNAVAILABLE);
    } else if (!write_failure_.ok()) {
      command->outcome = WithReason(
          absl::UnavailableError(absl::StrCat(
              "the ledger refuses writes until restarted after a storage "
              "failure: ",
              write_failure_.message())),
          loyalty::v1::ERROR_REASON_UNAVAILABLE);
    } else if (queue_.size() >= options_.queue_commands_max) {
      command->outcome = WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              "the write queue is full (", options_.queue_commands_max,
              " commands); retry with backoff")),
          loyalty::v1::ERROR_REASON_OVERLOADED);
    } else {
      queue_.push_back(std::move(command));
      queue_not_empty_.Signal();
      return;
    }
  }
  command->Complete();
}

void Ledger::WriterLoop() {
  while (true) {
    std::deque<std::unique_ptr<QueuedCommand>> commands;
    {
      absl::MutexLock lock(&mutex_);
      while (queue_.empty() && accepting_) queue_not_empty_.Wait(&mutex_);
      // Shutdown drains: the loop ends only once the queue is empty.
      if (queue_.empty()) return;
      size_t take = std::min(queue_.size(), options_.batch_commands_max);
      for (size_t i = 0; i < take; ++i) {
        commands.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ProcessBatch(std::move(commands));
  }
}

void Ledger::ProcessBatch(std::deque<std::unique_ptr<QueuedCommand>> commands) {
  bool refused = false;
  {
    absl::MutexLock lock(&mutex_);
    refused = !write_failure_.ok();
  }
  if (refused) {
    // An earlier batch failed: the cache may hold what it decided, and
    // nothing more is decided until a restart.
    member_cache_.Clear();
    pending_writes_.reset();
    DecidedBatch decided;
    decided.commands = std::move(commands);
    decided.refused = true;
    HandToSyncer(std::move(decided));
    return;
  }
  // Elapsed time for the stats only; the ledger's clock (which tests move)
  // stays the only source of time for entries.
  auto started = std::chrono::steady_clock::now();
  const int64_t now_ms = clock_->NowMs();
  // The store as the batch before left it, whether or not it is synced yet.
  const PendingWritesReader reader(store_, pending_writes_);
  Batch batch(&reader, head_, now_ms, random_, &member_cache_);
  uint64_t replays = 0;
  for (auto& command : commands) {
    if (command->dry_run) {
      // The same rules against the stored state, in a batch of its own
      // that is dropped: nothing written, nothing remembered.
      Batch scratch(&reader, head_, now_ms, random_, &member_cache_,
                    Batch::CacheUse::kCopy);
      Execute(*command, scratch);
      continue;
    }
    if (Execute(*command, batch)) ++replays;
  }

  DecidedBatch decided;
  decided.commands = std::move(commands);
  decided.entries = batch.entries_appended();
  decided.replays = replays;
  decided.members_enrolled = batch.members_enrolled();
  if (batch.has_writes()) {
    decided.writes = std::make_shared<const WriteSet>(batch.Finish());
  }
  // The next batch reads these members from the cache as this one left
  // them. Should the write fail, the ledger decides nothing more.
  batch.ReturnMembers();
  {
    absl::MutexLock lock(&mutex_);
    stats_.member_cache_hits = member_cache_.hits();
    stats_.member_cache_misses = member_cache_.misses();
    stats_.member_cache_size = member_cache_.size();
  }
  head_ = batch.head();
  decided.head = head_;
  decided.apply_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started)
          .count());
  HandToSyncer(std::move(decided));
}

void Ledger::HandToSyncer(DecidedBatch decided) {
  std::shared_ptr<const WriteSet> writes = decided.writes;
  {
    absl::MutexLock lock(&sync_mutex_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mutex_) {
      return !to_sync_.has_value() && !syncing_;
    };
    sync_mutex_.Await(absl::Condition(&idle));
    to_sync_ = std::move(decided);
  }
  // The batch before is synced (or failed) now, so the store (or the
  // refusal) covers it: the next batch reads through this one's writes only.
  pending_writes_ = std::move(writes);
}

void Ledger::SyncerLoop() {
  while (true) {
    DecidedBatch decided;
    {
      absl::MutexLock lock(&sync_mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mutex_) {
        return to_sync_.has_value() || syncer_stopping_;
      };
      sync_mutex_.Await(absl::Condition(&ready));
      // Stops only once the writer's last batch is written.
      if (!to_sync_.has_value()) return;
      decided = std::move(*to_sync_);
      to_sync_.reset();
      syncing_ = true;
    }
    Sync(std::move(decided));
    absl::MutexLock lock(&sync_mutex_);
    syncing_ = false;
  }
}

void Ledger::Sync(DecidedBatch decided) {
  absl::Status failure;
  {
    absl::MutexLock lock(&mutex_);
    failure = write_failure_;
  }
  if (decided.refused || !failure.ok()) {
    // Decided (if at all) while the batch before was failing: what it read
    // never became durable, so none of it may be written.
    for (auto& command : decided.commands) {
      command->outcome = WithReason(
          absl::UnavailableError("the ledger refuses writes until restarted "
                                 "after a storage failure"),
          loyalty::v1::ERROR_REASON_UNAVAILABLE);
    }
    HandOff(std::move(decided.commands));
    return;
  }
  auto started = std::chrono::steady_clock::now();
  absl::Status written = absl::OkStatus();
  if (decided.writes != nullptr) written = store_->Write(*decided.writes);
  const uint64_t write_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started)
          .count());
  const size_t command_count = decided.commands.size();
  {
    absl::MutexLock lock(&mutex_);
    if (written.ok()) {
      stats_.batches += 1;
      stats_.commands += command_count;
      stats_.entries += decided.entries;
      stats_.batch_commands_max_seen =
          std::max<uint64_t>(stats_.batch_commands_max_seen, command_count);
      stats_.batch_size_histogram[Log2Bucket(command_count)] += 1;
      stats_.last_sequence = decided.head.last_sequence();
      stats_.apply_us_total += decided.apply_us;
      stats_.write_us_total += write_us;
      stats_.write_us_max = std::max(stats_.write_us_max, write_us);
      stats_.write_us_histogram[Log2Bucket(write_us)] += 1;
      stats_.replays += decided.replays;
      stats_.members_enrolled += decided.members_enrolled;
    } else {
      write_failure_ = written;
      stats_.writes_refused = true;
    }
  }
  if (!written.ok() && options_.on_write_failure) {
    options_.on_write_failure(written);
  }
  if (!written.ok()) {
    for (auto& command : decided.commands) {
      command->outcome =
          WithReason(absl::UnavailableError(absl::StrCat(
                         "storage write failed: ", written.message())),
                     loyalty::v1::ERROR_REASON_UNAVAILABLE);
    }
  }
  HandOff(std::move(decided.commands));
}

void Ledger::HandOff(std::deque<std::unique_ptr<QueuedCommand>> commands) {
  absl::MutexLock lock(&completion_mutex_);
  completions_.push_back(std::move(commands));
}

void Ledger::CompleterLoop() {
  while (true) {
    std::deque<std::unique_ptr<QueuedCommand>> commands;
    {
      absl::MutexLock lock(&completion_mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(completion_mutex_) {
        return !completions_.empty() || completer_stopping_;
      };
      completion_mutex_.Await(absl::Condition(&ready));
      // Stops only once every handed-off batch has been answered.
      if (completions_.empty()) return;
      commands = std::move(completions_.front());
      completions_.pop_front();
    }
    for (auto& command : commands) command->Complete();
  }
}

namespace {

// The stored outcome of an earlier identical request.
absl::Status Replay(const RequestRecord& record, QueuedCommand& command) {
  if (record.status_code() != 0) {
    absl::Status status(static_cast<absl::StatusCode>(record.status_code()),
                        record.status_message());
    return WithReason(
        status, static_cast<loyalty::v1::ErrorReason>(record.error_reason()));
  }
  return command.Replay(record.response());
}

}  // namespace

absl::Status Ledger::CheckEventAge(int64_t occurred_at_ms,
                                   int64_t now_ms) const {
  const int64_t age_max_ms = EventAgeMaxMs(rules_.program);
  if (occurred_at_ms == 0 || occurred_at_ms >= now_ms - age_max_ms) {
    return absl::OkStatus();
  }
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "context.occurred_at_ms: ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                           absl::FromUnixMillis(occurred_at_ms),
                           absl::UTCTimeZone()),
          " is ", (now_ms - occurred_at_ms) / 3'600'000,
          " hours before the server's clock; the program accepts events up "
          "to ",
          age_max_ms / 3'600'000, " hours old (event_age_max_hours)")),
      loyalty::v1::ERROR_REASON_EVENT_TOO_OLD);
}

bool Ledger::Execute(QueuedCommand& command, Batch& batch) {
  if (!command.remembered()) {
    command.outcome = command.Decide(rules_, batch);
    return false;
  }
  absl::StatusOr<std::optional<RequestRecord>> earlier =
      batch.FindRequest(command.request_key);
  if (!earlier.ok()) {
    command.outcome = earlier.status();
    return false;
  }
  if (earlier->has_value()) {
    const RequestRecord& record = **earlier;
    if (record.fingerprint() != command.fingerprint) {
      command.outcome = WithReason(
          absl::AlreadyExistsError(
              "context.request_id: already used for a different request; "
              "use a new request id for a new request"),
          loyalty::v1::ERROR_REASON_REQUEST_ID_REUSED);
      return false;
    }
    command.outcome = Replay(record, command);
    return true;
  }

  // After the replay check: a retry of an event applied while it was young
  // gets its first answer, however late the retry comes.
  command.outcome = CheckEventAge(command.occurred_at_ms, batch.now_ms());
  if (command.outcome.ok()) command.outcome = command.Decide(rules_, batch);

  RequestRecord record;
  record.set_fingerprint(command.fingerprint);
  record.set_recorded_sequence(batch.head().last_sequence());
  if (command.outcome.ok()) {
    record.set_response(command.SerializeResponse());
  } else if (IsRemembered(command.outcome)) {
    record.set_status_code(static_cast<int32_t>(command.outcome.code()));
    record.set_status_message(std::string(command.outcome.message()));
    record.set_error_reason(ReasonOf(command.outcome));
  } else {
    return false;  // Storage trouble: not an answer to remember.
  }
  batch.Remember(command.request_key, std::move(record));
  return false;
}

absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Ledger::Verify() const {
  std::unique_ptr<StoreReader> snapshot = store_->Snapshot();
  return VerifyLedger(*snapshot);
}

absl::StatusOr<loyalty::storage::v1::BackupManifest> Ledger::Backup(
    const std::string& root, const std::string& name) const {
  return WriteBackup(*store_, root, name, identifiers_.KeyCheck(), *clock_);
}

}  // namespace loyalty
