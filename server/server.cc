#include "server/server.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "ledger/limits.h"
#include "ledger/status_util.h"
#include "server/async_call.h"
#include "server/process_stats.h"

namespace loyalty {

// One RPC method: how to arm it on a queue.
class MethodBase {
 public:
  virtual ~MethodBase() = default;
  virtual void Arm(grpc::ServerCompletionQueue* queue) = 0;
};

namespace {

using namespace loyalty::v1;  // NOLINT: the adapter names every message.

template <typename Request, typename Response>
class Method final : public MethodBase {
 public:
  using Call = UnaryCall<Request, Response>;
  Method(typename Call::RequestFn request_fn, typename Call::Handler handler)
      : request_fn_(std::move(request_fn)), handler_(std::move(handler)) {}
  void Arm(grpc::ServerCompletionQueue* queue) override {
    Call::Arm(&request_fn_, &handler_, queue);
  }

 private:
  const typename Call::RequestFn request_fn_;
  const typename Call::Handler handler_;
};

template <typename Request, typename Response>
std::unique_ptr<MethodBase> MakeMethod(
    typename UnaryCall<Request, Response>::RequestFn request_fn,
    typename UnaryCall<Request, Response>::Handler handler) {
  return std::make_unique<Method<Request, Response>>(std::move(request_fn),
                                                     std::move(handler));
}

// Binds an AsyncService's RequestXxx member into a RequestFn.
#define LOYALTY_REQUEST_FN(service, Name, RequestT, ResponseT)              \
  [service](grpc::ServerContext* context, RequestT* request,                \
            grpc::ServerAsyncResponseWriter<ResponseT>* responder,          \
            grpc::ServerCompletionQueue* queue, void* tag) {                \
    service->Request##Name(context, request, responder, queue, queue, tag); \
  }

}  // namespace

absl::StatusOr<std::unique_ptr<LoyaltyServer>> LoyaltyServer::Start(
    ProgramConfig program, const ServerOptions& options, const Clock* clock) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir: is required");
  }
  if (options.sweep_interval_ms < 0) {
    return absl::InvalidArgumentError(
        "--sweep-interval-ms: must be 0 (off) or positive");
  }
  if (options.completion_threads < 1 || options.completion_threads > 64) {
    return absl::InvalidArgumentError(
        "--completion-threads: must be between 1 and 64");
  }
  std::unique_ptr<LoyaltyServer> server(new LoyaltyServer());
  server->options_ = options;
  server->clock_ = clock;
  server->started_at_ms_ = clock->NowMs();
  LEDGER_ASSIGN_OR_RETURN(server->store_,
                          RocksDbStore::Open(options.data_dir, options.rocksdb));
  server->auth_ = std::make_unique<Authenticator>(program);
  LEDGER_ASSIGN_OR_RETURN(
      server->ledger_, Ledger::Open(server->store_.get(), std::move(program),
                                    clock, options.ledger));
  server->background_ = std::make_unique<BackgroundRunner>();
  server->RegisterMethods();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(&server->loyalty_service_);
  builder.RegisterService(&server->admin_service_);
  for (int i = 0; i < options.completion_threads; ++i) {
    server->queues_.push_back(builder.AddCompletionQueue());
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->ledger_->Shutdown();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot listen on ", options.listen_address,
        " (in use, or not an address of this machine)"));
  }
  if (options.sweep_interval_ms > 0) {
    server->sweeper_ = std::make_unique<Sweeper>(server->ledger_.get(),
                                                 options.sweep_interval_ms);
  }
  for (auto& queue : server->queues_) {
    for (auto& method : server->methods_) method->Arm(queue.get());
    grpc::ServerCompletionQueue* raw_queue = queue.get();
    server->pollers_.emplace_back(
        [s = server.get(), raw_queue] { s->PollQueue(raw_queue); });
  }
  return server;
}

LoyaltyServer::~LoyaltyServer() { Shutdown(); }

void LoyaltyServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    // In-flight mutations finish on the writer, which keeps running here.
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(options_.shutdown_grace_ms));
  }
  sweeper_.reset();  // Before the ledger stops taking its sweeps.
  if (ledger_ != nullptr) ledger_->Shutdown();  // Drains whatever is queued.
  background_.reset();
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& poller : pollers_) poller.join();
  server_.reset();
  ledger_.reset();
  store_.reset();  // Closes RocksDB.
}

void LoyaltyServer::PollQueue(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<CallBase*>(tag)->Proceed(ok);
}

void LoyaltyServer::RegisterMethods() {
  RegisterLoyaltyMethods();
  RegisterBatchMethods();
  RegisterAdminMethods();
}

namespace {

// The adapter of a mutation: authenticate, authorize the channel (or the
// admin role), hand the request to the ledger, answer when it is durable.
template <typename Request, typename Response>
typename UnaryCall<Request, Response>::Handler MutationHandler(
    const Authenticator* auth, Ledger* ledger,
    void (Ledger::*method)(const Caller&, Request, Ledger::Done<Response>),
    bool admin) {
  return [auth, ledger, method, admin](UnaryCall<Request, Response>* call) {
    absl::StatusOr<const Principal*> principal =
        auth->Authenticate(call->context());
    if (!principal.ok()) return call->FinishWithError(principal.status());
    absl::Status allowed =
        admin ? Authenticator::AuthorizeAdmin(**principal)
              : Authenticator::AuthorizeChannel(
                    **principal, call->request().context().channel());
    if (!allowed.ok()) return call->FinishWithError(allowed);
    (ledger->*method)(Caller{(*principal)->name},
                      std::move(call->mutable_request()),
                      [call](absl::StatusOr<Response> result) {
                        call->Finish(result);
                      });
  };
}

// The adapter of a read: authenticate, check the role, answer inline.
template <typename Request, typename Response>
typename UnaryCall<Request, Response>::Handler ReadHandler(
    const Authenticator* auth,
    std::function<absl::StatusOr<Response>(const Request&)> read) {
  return [auth, read = std::move(read)](UnaryCall<Request, Response>* call) {
    absl::StatusOr<const Principal*> principal =
        auth->Authenticate(call->context());
    if (!principal.ok()) return call->FinishWithError(principal.status());
    absl::Status allowed =
        Authenticator::AuthorizeChannel(**principal, CHANNEL_UNSPECIFIED);
    if (!allowed.ok()) return call->FinishWithError(allowed);
    call->Finish(read(call->request()));
  };
}

}  // namespace

void LoyaltyServer::RegisterLoyaltyMethods() {
  LoyaltyService::AsyncService* service = &loyalty_service_;
  const Authenticator* auth = auth_.get();
  Ledger* ledger = ledger_.get();
  methods_.push_back(MakeMethod<EnrollMemberRequest, EnrollMemberResponse>(
      LOYALTY_REQUEST_FN(service, EnrollMember, EnrollMemberRequest,
                         EnrollMemberResponse),
      MutationHandler(auth, ledger, &Ledger::Enroll, false)));
  methods_.push_back(MakeMethod<EarnRequest, EarnResponse>(
      LOYALTY_REQUEST_FN(service, Earn, EarnRequest, EarnResponse),
      MutationHandler(auth, ledger, &Ledger::Earn, false)));
  methods_.push_back(MakeMethod<EarnRequest, QuoteEarnResponse>(
      LOYALTY_REQUEST_FN(service, QuoteEarn, EarnRequest, QuoteEarnResponse),
      [auth, ledger](UnaryCall<EarnRequest, QuoteEarnResponse>* call) {
        absl::StatusOr<const Principal*> principal =
            auth->Authenticate(call->context());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        // The quote's channel selects campaigns: a key quotes only for the
        // channels it may earn for.
        absl::Status allowed = Authenticator::AuthorizeChannel(
            **principal, call->request().context().channel());
        if (!allowed.ok()) return call->FinishWithError(allowed);
        call->Finish(ledger->QuoteEarn(call->request()));
      }));
  methods_.push_back(MakeMethod<RecordEventRequest, RecordEventResponse>(
      LOYALTY_REQUEST_FN(service, RecordEvent, RecordEventRequest,
                         RecordEventResponse),
      MutationHandler(auth, ledger, &Ledger::RecordEvent, false)));
  methods_.push_back(MakeMethod<RedeemRequest, RedeemResponse>(
      LOYALTY_REQUEST_FN(service, Redeem, RedeemRequest, RedeemResponse),
      MutationHandler(auth, ledger, &Ledger::Redeem, false)));
  methods_.push_back(MakeMethod<HoldPointsRequest, HoldPointsResponse>(
      LOYALTY_REQUEST_FN(service, HoldPoints, HoldPointsRequest,
                         HoldPointsResponse),
      MutationHandler(auth, ledger, &Ledger::HoldPoints, false)));
  methods_.push_back(MakeMethod<SettleHoldRequest, SettleHoldResponse>(
      LOYALTY_REQUEST_FN(service, CapturePoints, SettleHoldRequest,
                         SettleHoldResponse),
      MutationHandler(auth, ledger, &Ledger::CapturePoints, false)));
  methods_.push_back(MakeMethod<SettleHoldRequest, SettleHoldResponse>(
      LOYALTY_REQUEST_FN(service, ReleasePoints, SettleHoldRequest,
                         SettleHoldResponse),
      MutationHandler(auth, ledger, &Ledger::ReleasePoints, false)));
  methods_.push_back(MakeMethod<ReturnRequest, ReturnResponse>(
      LOYALTY_REQUEST_FN(service, Return, ReturnRequest, ReturnResponse),
      MutationHandler(auth, ledger, &Ledger::Return, false)));
  methods_.push_back(MakeMethod<LinkIdentifierRequest, LinkIdentifierResponse>(
      LOYALTY_REQUEST_FN(service, LinkIdentifier, LinkIdentifierRequest,
                         LinkIdentifierResponse),
      MutationHandler(auth, ledger, &Ledger::LinkIdentifier, false)));
  methods_.push_back(
      MakeMethod<UnlinkIdentifierRequest, UnlinkIdentifierResponse>(
          LOYALTY_REQUEST_FN(service, UnlinkIdentifier,
                             UnlinkIdentifierRequest, UnlinkIdentifierResponse),
          MutationHandler(auth, ledger, &Ledger::UnlinkIdentifier, false)));
  methods_.push_back(MakeMethod<TransferPointsRequest, TransferPointsResponse>(
      LOYALTY_REQUEST_FN(service, TransferPoints, TransferPointsRequest,
                         TransferPointsResponse),
      MutationHandler(auth, ledger, &Ledger::TransferPoints, false)));
  methods_.push_back(MakeMethod<LookupMemberRequest, Member>(
      LOYALTY_REQUEST_FN(service, LookupMember, LookupMemberRequest, Member),
      ReadHandler<LookupMemberRequest, Member>(
          auth, [ledger](const LookupMemberRequest& request) {
            return ledger->LookupMember(request.identifier());
          })));
  methods_.push_back(MakeMethod<GetMemberRequest, Member>(
      LOYALTY_REQUEST_FN(service, GetMember, GetMemberRequest, Member),
      ReadHandler<GetMemberRequest, Member>(
          auth, [ledger](const GetMemberRequest& request) {
            return ledger->GetMember(request.member_id());
          })));
  methods_.push_back(MakeMethod<GetBalanceRequest, Balance>(
      LOYALTY_REQUEST_FN(service, GetBalance, GetBalanceRequest, Balance),
      ReadHandler<GetBalanceRequest, Balance>(
          auth, [ledger](const GetBalanceRequest& request) {
            return ledger->GetBalance(request.member_id());
          })));
  methods_.push_back(MakeMethod<ListEntriesRequest, ListEntriesResponse>(
      LOYALTY_REQUEST_FN(service, ListEntries, ListEntriesRequest,
                         ListEntriesResponse),
      ReadHandler<ListEntriesRequest, ListEntriesResponse>(
          auth, [ledger](const ListEntriesRequest& request) {
            return ledger->ListEntries(request);
          })));
}

namespace {

// Collects the per-item outcomes of one batch call (EarnBatch,
// ImportMembers) and answers the call when the last one arrives (on
// whichever thread completes it).
template <typename BatchRequest, typename BatchResponse, typename Item>
class BatchCollector {
 public:
  using Call = UnaryCall<BatchRequest, BatchResponse>;
  BatchCollector(Call* call, int items) : call_(call), pending_(items) {
    for (int i = 0; i < items; ++i) response_.add_results();
  }

  void Complete(int index, absl::StatusOr<Item> outcome) {
    auto* result = response_.mutable_results(index);
    if (outcome.ok()) {
      *result->mutable_response() = std::move(*outcome);
    } else {
      result->set_code(static_cast<int32_t>(outcome.status().code()));
      result->set_message(std::string(outcome.status().message()));
      result->set_reason(ReasonOf(outcome.status()));
    }
    // Each index is written by exactly one completion; the last one to
    // finish sees every write through the counter's acq_rel ordering.
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      call_->Finish(response_);
      delete this;
    }
  }

 private:
  Call* call_;
  std::atomic<int> pending_;
  BatchResponse response_;
};

using EarnBatchCollector =
    BatchCollector<EarnBatchRequest, EarnBatchResponse, EarnResponse>;
using ImportCollector =
    BatchCollector<ImportMembersRequest, ImportMembersResponse,
                   ImportMemberResponse>;

}  // namespace

void LoyaltyServer::RegisterBatchMethods() {
  LoyaltyService::AsyncService* service = &loyalty_service_;
  const Authenticator* auth = auth_.get();
  Ledger* ledger = ledger_.get();
  using BatchCall = UnaryCall<EarnBatchRequest, EarnBatchResponse>;
  methods_.push_back(MakeMethod<EarnBatchRequest, EarnBatchResponse>(
      LOYALTY_REQUEST_FN(service, EarnBatch, EarnBatchRequest,
                         EarnBatchResponse),
      [auth, ledger](BatchCall* call) {
        absl::StatusOr<const Principal*> principal =
            auth->Authenticate(call->context());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        auto& events = *call->mutable_request().mutable_events();
        if (events.empty() || events.size() > kEarnBatchEventsMax) {
          return call->FinishWithError(InvalidField(
              "events", absl::StrCat("a batch holds 1..", kEarnBatchEventsMax,
                                     " events")));
        }
        // Authorize every event before queueing any, so a batch is either
        // allowed or refused as a whole.
        for (int i = 0; i < events.size(); ++i) {
          absl::Status allowed = Authenticator::AuthorizeChannel(
              **principal, events[i].context().channel());
          if (!allowed.ok()) {
            return call->FinishWithError(absl::Status(
                allowed.code(),
                absl::StrCat("events[", i, "]: ", allowed.message())));
          }
        }
        auto* collector = new EarnBatchCollector(call, events.size());
        Caller caller{(*principal)->name};
        for (int i = 0; i < events.size(); ++i) {
          ledger->Earn(caller, std::move(events[i]),
                       [collector, i](absl::StatusOr<EarnResponse> outcome) {
                         collector->Complete(i, std::move(outcome));
                       });
        }
      }));
}

void LoyaltyServer::RegisterAdminMethods() {
  AdminService::AsyncService* service = &admin_service_;
  const Authenticator* auth = auth_.get();
  Ledger* ledger = ledger_.get();
  BackgroundRunner* background = background_.get();
  methods_.push_back(MakeMethod<AdjustRequest, AdjustResponse>(
      LOYALTY_REQUEST_FN(service, Adjust, AdjustRequest, AdjustResponse),
      MutationHandler(auth, ledger, &Ledger::Adjust, true)));
  using VerifyCall = UnaryCall<VerifyLedgerRequest, VerifyLedgerResponse>;
  methods_.push_back(MakeMethod<VerifyLedgerRequest, VerifyLedgerResponse>(
      LOYALTY_REQUEST_FN(service, VerifyLedger, VerifyLedgerRequest,
                         VerifyLedgerResponse),
      [auth, ledger, background](VerifyCall* call) {
        absl::StatusOr<const Principal*> principal =
            auth->Authenticate(call->context());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        absl::Status allowed = Authenticator::AuthorizeAdmin(**principal);
        if (!allowed.ok()) return call->FinishWithError(allowed);
        // A replay of the whole ledger must not hold a queue thread.
        background->Run([call, ledger] { call->Finish(ledger->Verify()); });
      }));
  methods_.push_back(MakeMethod<CloseMemberRequest, CloseMemberResponse>(
      LOYALTY_REQUEST_FN(service, CloseMember, CloseMemberRequest,
                         CloseMemberResponse),
      MutationHandler(auth, ledger, &Ledger::CloseMember, true)));
  methods_.push_back(MakeMethod<MergeMembersRequest, MergeMembersResponse>(
      LOYALTY_REQUEST_FN(service, MergeMembers, MergeMembersRequest,
                         MergeMembersResponse),
      MutationHandler(auth, ledger, &Ledger::MergeMembers, true)));
  using ImportCall = UnaryCall<ImportMembersRequest, ImportMembersResponse>;
  methods_.push_back(MakeMethod<ImportMembersRequest, ImportMembersResponse>(
      LOYALTY_REQUEST_FN(service, ImportMembers, ImportMembersRequest,
                         ImportMembersResponse),
      [auth, ledger](ImportCall* call) {
        absl::StatusOr<const Principal*> principal =
            auth->Authenticate(call->context());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        absl::Status allowed = Authenticator::AuthorizeAdmin(**principal);
        if (!allowed.ok()) return call->FinishWithError(allowed);
        auto& rows = *call->mutable_request().mutable_rows();
        if (rows.empty() || rows.size() > kImportRowsPerCallMax) {
          return call->FinishWithError(InvalidField(
              "rows", absl::StrCat("a call holds 1..", kImportRowsPerCallMax,
                                   " rows")));
        }
        const bool dry_run = call->request().dry_run();
        auto* collector = new ImportCollector(call, rows.size());
        Caller caller{(*principal)->name};
        for (int i = 0; i < rows.size(); ++i) {
          ledger->ImportMember(
              caller, std::move(rows[i]), dry_run,
              [collector, i](absl::StatusOr<ImportMemberResponse> outcome) {
                collector->Complete(i, std::move(outcome));
              });
        }
      }));
  using StatsCall = UnaryCall<GetServerStatsRequest, ServerStats>;
  methods_.push_back(MakeMethod<GetServerStatsRequest, ServerStats>(
      LOYALTY_REQUEST_FN(service, GetServerStats, GetServerStatsRequest,
                         ServerStats),
      [this, auth, ledger](StatsCall* call) {
        absl::StatusOr<const Principal*> principal =
            auth->Authenticate(call->context());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        absl::Status allowed = Authenticator::AuthorizeAdmin(**principal);
        if (!allowed.ok()) return call->FinishWithError(allowed);
        call->Finish(CollectStats(*ledger));
      }));
}

ServerStats LoyaltyServer::CollectStats(const Ledger& ledger) const {
  WriterStats writer = ledger.stats();
  ProcessStats process = ReadProcessStats();
  ServerStats stats;
  stats.set_batches(writer.batches);
  stats.set_commands(writer.commands);
  stats.set_entries(writer.entries);
  stats.set_batch_commands_max_seen(writer.batch_commands_max_seen);
  stats.set_queue_depth(writer.queue_depth);
  stats.set_last_sequence(writer.last_sequence);
  stats.set_writer_apply_us_total(writer.apply_us_total);
  stats.set_writer_write_us_total(writer.write_us_total);
  stats.set_writer_write_us_max(writer.write_us_max);
  for (uint64_t count : writer.write_us_histogram) {
    stats.add_write_us_histogram(count);
  }
  for (uint64_t count : writer.batch_size_histogram) {
    stats.add_batch_size_histogram(count);
  }
  stats.set_cpu_user_ms(process.cpu_user_ms);
  stats.set_cpu_system_ms(process.cpu_system_ms);
  stats.set_rss_bytes(process.rss_bytes);
  stats.set_storage_memory_bytes(store_->ApproximateMemoryBytes());
  stats.set_uptime_ms(clock_->NowMs() - started_at_ms_);
  if (sweeper_ != nullptr) {
    SweeperStats sweeps = sweeper_->stats();
    stats.set_sweeps(sweeps.sweeps);
    stats.set_sweep_members_settled(sweeps.members_settled);
    stats.set_sweep_entries_written(sweeps.entries_written);
    stats.set_sweep_failures(sweeps.failures);
  }
  return stats;
}

}  // namespace loyalty
