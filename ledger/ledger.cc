// The ledger's queue and single writer. The rules of each command live in
// ledger_apply.cc, the reads in ledger_read.cc, the replay in verify.cc.
#include "ledger/ledger.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/batch.h"
#include "ledger/command.h"
#include "ledger/earn_rules.h"
#include "ledger/hashing.h"
#include "ledger/keys.h"
#include "ledger/points.h"
#include "ledger/program.h"
#include "ledger/status_util.h"
#include "ledger/validation.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerHead;
using loyalty::v1::RequestRecord;

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

template <typename Response>
absl::AnyInvocable<void(Command&) &&> Completer(
    Ledger::Done<Response> done) {
  return [done = std::move(done)](Command& command) mutable {
    if (!command.outcome.ok()) {
      std::move(done)(command.outcome);
    } else {
      std::move(done)(std::move(std::get<Response>(command.response)));
    }
  };
}

std::string Fingerprint(absl::string_view method,
                        const google::protobuf::Message& request) {
  std::string material(method);
  material.push_back('\0');
  material += DeterministicBytes(request);
  return Sha256(material);
}

// Business rejections are remembered under the request id, so a retry gets
// the same answer; storage trouble is not, so a retry may succeed.
bool IsRemembered(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsFailedPrecondition(status) ||
         absl::IsAlreadyExists(status);
}

}  // namespace

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
    return absl::FailedPreconditionError(
        absl::StrCat("the data directory has schema version ",
                     head.schema_version(), "; this build reads ",
                     kSchemaVersion));
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
  LEDGER_ASSIGN_OR_RETURN(
      LedgerHead head, ReadHead(*store, program, identifiers.KeyCheck()));
  return std::unique_ptr<Ledger>(
      new Ledger(store, std::move(program), clock, std::move(options),
                 std::move(head), time_zone, std::move(identifiers)));
}

Ledger::Ledger(LedgerStore* store, loyalty::v1::ProgramConfig program,
               const Clock* clock, LedgerOptions options, LedgerHead head,
               absl::TimeZone time_zone, IdentifierCodec identifiers)
    : store_(store),
      program_(std::move(program)),
      time_zone_(time_zone),
      identifiers_(std::move(identifiers)),
      clock_(clock),
      options_(options),
      head_(std::move(head)) {
  stats_.last_sequence = head_.last_sequence();
  writer_ = std::thread([this] { WriterLoop(); });
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
  writer_.join();
  {
    absl::MutexLock lock(&completion_mutex_);
    completer_stopping_ = true;
  }
  completer_.join();
  joined_ = true;
}

WriterStats Ledger::stats() const {
  absl::MutexLock lock(&mutex_);
  WriterStats stats = stats_;
  stats.queue_depth = queue_.size();
  return stats;
}

namespace {

// Wraps a validated request into a command for the queue; the fingerprint
// and request key are computed here, on the caller's thread.
template <typename Request, typename Response>
std::unique_ptr<Command> MakeCommand(const Caller& caller,
                                     absl::string_view method, Request request,
                                     Ledger::Done<Response> done) {
  auto command = std::make_unique<Command>();
  command->fingerprint = Fingerprint(method, request);
  command->request_key =
      RequestKey(caller.principal, request.context().request_id());
  command->principal = caller.principal;
  command->request = std::move(request);
  command->complete = Completer(std::move(done));
  return command;
}

}  // namespace

void Ledger::Enroll(const Caller& caller,
                    loyalty::v1::EnrollMemberRequest request,
                    Done<loyalty::v1::EnrollMemberResponse> done) {
  absl::Status valid = ValidateEnroll(request, clock_->NowMs());
  // Before the fingerprint: phones and emails are never kept in clear, not
  // even inside the remembered request's hash.
  if (valid.ok()) valid = identifiers_.StoreAll(request.mutable_identifiers());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "EnrollMember", std::move(request),
                     std::move(done)));
}

void Ledger::LinkIdentifier(const Caller& caller,
                            loyalty::v1::LinkIdentifierRequest request,
                            Done<loyalty::v1::LinkIdentifierResponse> done) {
  absl::Status valid = ValidateLinkIdentifier(request, clock_->NowMs());
  if (valid.ok()) valid = identifiers_.StoreOne(request.mutable_identifier());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "LinkIdentifier", std::move(request),
                     std::move(done)));
}

void Ledger::UnlinkIdentifier(const Caller& caller,
                              loyalty::v1::UnlinkIdentifierRequest request,
                              Done<loyalty::v1::UnlinkIdentifierResponse> done) {
  absl::Status valid = ValidateUnlinkIdentifier(request, clock_->NowMs());
  if (valid.ok()) valid = identifiers_.StoreOne(request.mutable_identifier());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "UnlinkIdentifier", std::move(request),
                     std::move(done)));
}

void Ledger::TransferPoints(const Caller& caller,
                            loyalty::v1::TransferPointsRequest request,
                            Done<loyalty::v1::TransferPointsResponse> done) {
  absl::Status valid = ValidateTransferPoints(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "TransferPoints", std::move(request),
                     std::move(done)));
}

void Ledger::CloseMember(const Caller& caller,
                         loyalty::v1::CloseMemberRequest request,
                         Done<loyalty::v1::CloseMemberResponse> done) {
  absl::Status valid = ValidateCloseMember(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "CloseMember", std::move(request),
                     std::move(done)));
}

void Ledger::MergeMembers(const Caller& caller,
                          loyalty::v1::MergeMembersRequest request,
                          Done<loyalty::v1::MergeMembersResponse> done) {
  absl::Status valid = ValidateMergeMembers(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "MergeMembers", std::move(request),
                     std::move(done)));
}

void Ledger::ImportMember(const Caller& caller,
                          loyalty::v1::ImportMemberRequest request,
                          bool dry_run,
                          Done<loyalty::v1::ImportMemberResponse> done) {
  absl::Status valid = ValidateImportMember(request, clock_->NowMs());
  if (valid.ok() && !request.phone().empty()) {
    loyalty::v1::MemberIdentifier phone;
    phone.set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
    phone.set_value(request.phone());
    absl::StatusOr<loyalty::v1::MemberIdentifier> stored =
        identifiers_.Stored(phone, "phone");
    valid = stored.status();
    // The message names the row's column, not an identifier list.
    if (!valid.ok()) {
      valid = InvalidField("phone", absl::StripPrefix(valid.message(),
                                                      "phone.value: "));
    } else {
      request.set_phone(stored->value());
    }
  }
  if (valid.ok() && !request.earned_on().empty()) {
    valid = CheckEarnedOn(request.earned_on(), time_zone_, clock_->NowMs())
                .status();
  }
  if (!valid.ok()) return std::move(done)(valid);
  auto command = MakeCommand(caller, "ImportMember", std::move(request),
                             std::move(done));
  command->dry_run = dry_run;
  Submit(std::move(command));
}

void Ledger::Earn(const Caller& caller, loyalty::v1::EarnRequest request,
                  Done<loyalty::v1::EarnResponse> done) {
  int64_t now_ms = clock_->NowMs();
  absl::Status valid = ValidateEarn(request, now_ms);
  if (!valid.ok()) return std::move(done)(valid);
  // Computed here, once: the entry records these points and rules, so a
  // later program change never rewrites them.
  absl::StatusOr<EarnComputation> earn =
      ComputeEarn(program_, request, OccurredAtMs(request.context(), now_ms));
  if (!earn.ok()) return std::move(done)(earn.status());
  auto command =
      MakeCommand(caller, "Earn", std::move(request), std::move(done));
  command->earn = std::move(*earn);
  Submit(std::move(command));
}

void Ledger::Redeem(const Caller& caller, loyalty::v1::RedeemRequest request,
                    Done<loyalty::v1::RedeemResponse> done) {
  absl::Status valid = ValidateRedeem(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "Redeem", std::move(request), std::move(done)));
}

void Ledger::Adjust(const Caller& caller, loyalty::v1::AdjustRequest request,
                    Done<loyalty::v1::AdjustResponse> done) {
  absl::Status valid = ValidateAdjust(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "Adjust", std::move(request), std::move(done)));
}

void Ledger::RecordEvent(const Caller& caller,
                         loyalty::v1::RecordEventRequest request,
                         Done<loyalty::v1::RecordEventResponse> done) {
  absl::Status valid = ValidateRecordEvent(request, clock_->NowMs());
  if (valid.ok()) valid = CheckEventKnown(program_, request);
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "RecordEvent", std::move(request),
                     std::move(done)));
}

void Ledger::HoldPoints(const Caller& caller,
                        loyalty::v1::HoldPointsRequest request,
                        Done<loyalty::v1::HoldPointsResponse> done) {
  absl::Status valid = ValidateHoldPoints(request, clock_->NowMs(),
                                          HoldTimeoutMaxMs(program_));
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "HoldPoints", std::move(request),
                     std::move(done)));
}

void Ledger::CapturePoints(const Caller& caller,
                           loyalty::v1::SettleHoldRequest request,
                           Done<loyalty::v1::SettleHoldResponse> done) {
  absl::Status valid = ValidateSettleHold(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  auto command = MakeCommand(caller, "CapturePoints", std::move(request),
                             std::move(done));
  command->capture = true;
  Submit(std::move(command));
}

void Ledger::ReleasePoints(const Caller& caller,
                           loyalty::v1::SettleHoldRequest request,
                           Done<loyalty::v1::SettleHoldResponse> done) {
  absl::Status valid = ValidateSettleHold(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "ReleasePoints", std::move(request),
                     std::move(done)));
}

void Ledger::Return(const Caller& caller, loyalty::v1::ReturnRequest request,
                    Done<loyalty::v1::ReturnResponse> done) {
  absl::Status valid = ValidateReturn(request, clock_->NowMs());
  if (!valid.ok()) return std::move(done)(valid);
  Submit(MakeCommand(caller, "Return", std::move(request), std::move(done)));
}

void Ledger::Sweep(int members_max, Done<SweepResult> done) {
  if (members_max <= 0) {
    return std::move(done)(
        absl::InvalidArgumentError("members_max must be positive"));
  }
  auto command = std::make_unique<Command>();
  command->principal = std::string(kSystemPrincipal);
  command->request = SweepRequest{members_max};
  command->complete = Completer(std::move(done));
  Submit(std::move(command));
}

void Ledger::Submit(std::unique_ptr<Command> command) {
  {
    absl::MutexLock lock(&mutex_);
    if (!accepting_) {
      command->outcome = WithReason(
          absl::UnavailableError("the ledger is shutting down"),
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
  std::move(command->complete)(*command);
}

void Ledger::WriterLoop() {
  while (true) {
    std::deque<std::unique_ptr<Command>> commands;
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

void Ledger::ProcessBatch(std::deque<std::unique_ptr<Command>> commands) {
  bool refused = false;
  {
    absl::MutexLock lock(&mutex_);
    refused = !write_failure_.ok();
  }
  if (refused) {
    // An earlier batch failed: fail these without applying anything.
    for (auto& command : commands) {
      command->outcome = WithReason(
          absl::UnavailableError("the ledger refuses writes until restarted "
                                 "after a storage failure"),
          loyalty::v1::ERROR_REASON_UNAVAILABLE);
    }
    HandOff(std::move(commands));
    return;
  }
  // Elapsed time for the stats only; the ledger's clock (which tests move)
  // stays the only source of time for entries.
  auto started = std::chrono::steady_clock::now();
  const int64_t now_ms = clock_->NowMs();
  Batch batch(store_, head_, now_ms);
  for (auto& command : commands) {
    if (command->dry_run) {
      // The same rules against the stored state, in a batch of its own
      // that is dropped: nothing written, nothing remembered.
      Batch scratch(store_, head_, now_ms);
      Apply(*command, scratch);
      continue;
    }
    Apply(*command, batch);
  }

  absl::Status written = absl::OkStatus();
  uint64_t entries = batch.entries_appended();
  WriteSet writes;
  if (batch.has_writes()) writes = batch.Finish();
  auto applied = std::chrono::steady_clock::now();
  if (!writes.empty()) written = store_->Write(writes);
  auto done = std::chrono::steady_clock::now();
  auto micros = [](auto duration) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(duration)
            .count());
  };
  uint64_t apply_us = micros(applied - started);
  uint64_t write_us = micros(done - applied);
  {
    absl::MutexLock lock(&mutex_);
    if (written.ok()) {
      head_ = batch.head();
      stats_.batches += 1;
      stats_.commands += commands.size();
      stats_.entries += entries;
      stats_.batch_commands_max_seen =
          std::max<uint64_t>(stats_.batch_commands_max_seen, commands.size());
      stats_.batch_size_histogram[Log2Bucket(commands.size())] += 1;
      stats_.last_sequence = head_.last_sequence();
      stats_.apply_us_total += apply_us;
      stats_.write_us_total += write_us;
      stats_.write_us_max = std::max(stats_.write_us_max, write_us);
      stats_.write_us_histogram[Log2Bucket(write_us)] += 1;
    } else {
      write_failure_ = written;
    }
  }
  if (!written.ok()) {
    for (auto& command : commands) {
      command->outcome = WithReason(
          absl::UnavailableError(
              absl::StrCat("storage write failed: ", written.message())),
          loyalty::v1::ERROR_REASON_UNAVAILABLE);
      command->response = std::monostate();
    }
  }
  HandOff(std::move(commands));
}

void Ledger::HandOff(std::deque<std::unique_ptr<Command>> commands) {
  absl::MutexLock lock(&completion_mutex_);
  completions_.push_back(std::move(commands));
}

void Ledger::CompleterLoop() {
  while (true) {
    std::deque<std::unique_ptr<Command>> commands;
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
    for (auto& command : commands) std::move(command->complete)(*command);
  }
}

namespace {

template <typename Response>
absl::Status ParseReplay(const RequestRecord& record,
                         Command::Response* response) {
  Response parsed;
  if (!parsed.ParseFromString(record.response())) {
    return absl::DataLossError("a remembered response cannot be decoded");
  }
  parsed.set_replayed(true);
  *response = std::move(parsed);
  return absl::OkStatus();
}

// The response type each request type answers with.
template <typename Request>
struct ResponseOf;
#define LOYALTY_RESPONSE_OF(Request, Response) \
  template <>                                  \
  struct ResponseOf<loyalty::v1::Request> {    \
    using type = loyalty::v1::Response;        \
  }
LOYALTY_RESPONSE_OF(EnrollMemberRequest, EnrollMemberResponse);
LOYALTY_RESPONSE_OF(EarnRequest, EarnResponse);
LOYALTY_RESPONSE_OF(RedeemRequest, RedeemResponse);
LOYALTY_RESPONSE_OF(AdjustRequest, AdjustResponse);
LOYALTY_RESPONSE_OF(RecordEventRequest, RecordEventResponse);
LOYALTY_RESPONSE_OF(HoldPointsRequest, HoldPointsResponse);
LOYALTY_RESPONSE_OF(SettleHoldRequest, SettleHoldResponse);
LOYALTY_RESPONSE_OF(ReturnRequest, ReturnResponse);
LOYALTY_RESPONSE_OF(LinkIdentifierRequest, LinkIdentifierResponse);
LOYALTY_RESPONSE_OF(UnlinkIdentifierRequest, UnlinkIdentifierResponse);
LOYALTY_RESPONSE_OF(TransferPointsRequest, TransferPointsResponse);
LOYALTY_RESPONSE_OF(ImportMemberRequest, ImportMemberResponse);
LOYALTY_RESPONSE_OF(CloseMemberRequest, CloseMemberResponse);
LOYALTY_RESPONSE_OF(MergeMembersRequest, MergeMembersResponse);
#undef LOYALTY_RESPONSE_OF

// The stored outcome of an earlier identical request.
absl::Status Replay(const RequestRecord& record, Command& command) {
  if (record.status_code() != 0) {
    absl::Status status(static_cast<absl::StatusCode>(record.status_code()),
                        record.status_message());
    return WithReason(status, static_cast<loyalty::v1::ErrorReason>(
                                  record.error_reason()));
  }
  return std::visit(
      [&](const auto& request) -> absl::Status {
        using Request = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<Request, SweepRequest>) {
          LEDGER_CHECK(false);  // Sweeps are never remembered.
          return absl::InternalError("a sweep was remembered");
        } else {
          return ParseReplay<typename ResponseOf<Request>::type>(
              record, &command.response);
        }
      },
      command.request);
}

std::string SerializeResponse(const Command::Response& response) {
  return std::visit(
      [](const auto& message) -> std::string {
        using Type = std::decay_t<decltype(message)>;
        if constexpr (std::is_same_v<Type, std::monostate> ||
                      std::is_same_v<Type, SweepResult>) {
          // An OK outcome always has a response; sweeps are not remembered.
          LEDGER_CHECK(false);
          return "";
        } else {
          return message.SerializeAsString();
        }
      },
      response);
}

}  // namespace

void Ledger::Apply(Command& command, Batch& batch) {
  if (std::holds_alternative<SweepRequest>(command.request)) {
    command.outcome = ApplySweep(command, batch);
    return;
  }
  absl::StatusOr<std::optional<RequestRecord>> earlier =
      batch.FindRequest(command.request_key);
  if (!earlier.ok()) {
    command.outcome = earlier.status();
    return;
  }
  if (earlier->has_value()) {
    const RequestRecord& record = **earlier;
    if (record.fingerprint() != command.fingerprint) {
      command.outcome = WithReason(
          absl::AlreadyExistsError(
              "context.request_id: already used for a different request; "
              "use a new request id for a new request"),
          loyalty::v1::ERROR_REASON_REQUEST_ID_REUSED);
      return;
    }
    command.outcome = Replay(record, command);
    return;
  }

  command.outcome = ResolveAliases(command, batch);
  if (command.outcome.ok()) {
    command.outcome = std::visit(
        [&](const auto& request) -> absl::Status {
          using Request = std::decay_t<decltype(request)>;
          namespace v1 = loyalty::v1;
          if constexpr (std::is_same_v<Request, v1::EnrollMemberRequest>) {
            return ApplyEnroll(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::EarnRequest>) {
            return ApplyEarn(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::RedeemRequest>) {
            return ApplyRedeem(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::AdjustRequest>) {
            return ApplyAdjust(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::RecordEventRequest>) {
            return ApplyEvent(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::HoldPointsRequest>) {
            return ApplyHold(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::SettleHoldRequest>) {
            return ApplySettleHold(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::ReturnRequest>) {
            return ApplyReturn(command, batch);
          } else if constexpr (std::is_same_v<Request,
                                              v1::LinkIdentifierRequest>) {
            return ApplyLink(command, batch);
          } else if constexpr (std::is_same_v<Request,
                                              v1::UnlinkIdentifierRequest>) {
            return ApplyUnlink(command, batch);
          } else if constexpr (std::is_same_v<Request,
                                              v1::TransferPointsRequest>) {
            return ApplyTransfer(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::ImportMemberRequest>) {
            return ApplyImport(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::CloseMemberRequest>) {
            return ApplyClose(command, batch);
          } else if constexpr (std::is_same_v<Request, v1::MergeMembersRequest>) {
            return ApplyMerge(command, batch);
          } else {
            static_assert(std::is_same_v<Request, SweepRequest>);
            LEDGER_CHECK(false);  // Handled above.
            return absl::InternalError("a sweep reached the request path");
          }
        },
        command.request);
  }

  RequestRecord record;
  record.set_fingerprint(command.fingerprint);
  record.set_recorded_sequence(batch.head().last_sequence());
  if (command.outcome.ok()) {
    record.set_response(SerializeResponse(command.response));
  } else if (IsRemembered(command.outcome)) {
    record.set_status_code(static_cast<int32_t>(command.outcome.code()));
    record.set_status_message(std::string(command.outcome.message()));
    record.set_error_reason(ReasonOf(command.outcome));
  } else {
    return;  // Storage trouble: not an answer to remember.
  }
  batch.Remember(command.request_key, std::move(record));
}

}  // namespace loyalty
