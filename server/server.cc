#include "server/server.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "ledger/status_util.h"
#include "server/async_call.h"

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
  if (options.completion_threads < 1 || options.completion_threads > 64) {
    return absl::InvalidArgumentError(
        "--completion-threads: must be between 1 and 64");
  }
  std::unique_ptr<LoyaltyServer> server(new LoyaltyServer());
  server->options_ = options;
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
  methods_.push_back(MakeMethod<RedeemRequest, RedeemResponse>(
      LOYALTY_REQUEST_FN(service, Redeem, RedeemRequest, RedeemResponse),
      MutationHandler(auth, ledger, &Ledger::Redeem, false)));
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
}

}  // namespace loyalty
