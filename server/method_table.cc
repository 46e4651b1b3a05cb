#include "server/method_table.h"

#include <atomic>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "ledger/commands.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "server/async_call.h"
#include "server/generate_coupons_call.h"
#include "server/stream_call.h"

namespace loyalty {

template <typename Generated>
QueueService<Generated>::QueueService() {
  const int count = static_cast<int>(MethodNames().size());
  for (int i = 0; i < count; ++i) this->MarkMethodRaw(i);
}

namespace {

template <typename Generated>
const google::protobuf::ServiceDescriptor& DescriptorOf() {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          Generated::service_full_name());
  // Invariant: the generated code registered its own service.
  LEDGER_CHECK(service != nullptr);
  return *service;
}

}  // namespace

template <typename Generated>
int QueueService<Generated>::MethodIndex(absl::string_view name) {
  const google::protobuf::MethodDescriptor* method =
      DescriptorOf<Generated>().FindMethodByName(std::string(name));
  return method == nullptr ? -1 : method->index();
}

template <typename Generated>
std::vector<std::string> QueueService<Generated>::MethodNames() {
  const google::protobuf::ServiceDescriptor& service =
      DescriptorOf<Generated>();
  std::vector<std::string> names;
  for (int i = 0; i < service.method_count(); ++i) {
    names.push_back(service.method(i)->name());
  }
  return names;
}

template class QueueService<loyalty::v1::LoyaltyService>;
template class QueueService<loyalty::v1::AdminService>;

namespace {

using namespace loyalty::v1;  // NOLINT: the adapters name every message.

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

// Bulk coupon codes: a served server-streaming method.
template <typename Request, typename Response>
class StreamMethod final : public MethodBase {
 public:
  using Call = StreamCall<Request, Response>;
  StreamMethod(typename Call::RequestFn request_fn,
               typename Call::Handler handler, StreamRegistry* registry)
      : request_fn_(std::move(request_fn)),
        handler_(std::move(handler)),
        registry_(registry) {}
  void Arm(grpc::ServerCompletionQueue* queue) override {
    Call::Arm(&request_fn_, &handler_, registry_, queue);
  }

 private:
  const typename Call::RequestFn request_fn_;
  const typename Call::Handler handler_;
  StreamRegistry* const registry_;
};

// Collects rows and checks that each names a method of its service once.
class TableBuilder {
 public:
  explicit TableBuilder(const MethodEnvironment& environment)
      : env_(environment) {}

  template <typename Request, typename Response>
  void Add(Service service, absl::string_view method, RoleSet roles,
           CodeLookup code_lookup,
           typename UnaryCall<Request, Response>::Handler handler) {
    typename UnaryCall<Request, Response>::RequestFn request_fn;
    if (service == Service::kLoyalty) {
      request_fn = RequestFnOf<Request, Response>(env_.loyalty_service, method);
    } else {
      request_fn = RequestFnOf<Request, Response>(env_.admin_service, method);
    }
    const bool first =
        served_.insert({ServiceName(service, method), true}).second;
    if (!first)
      Abort(absl::StrCat("two rows serve ", ServiceName(service, method)));
    rows_.push_back(MethodRow{service, std::string(method), roles, code_lookup,
                              std::make_unique<Method<Request, Response>>(
                                  std::move(request_fn), std::move(handler))});
  }

  // Bulk coupon codes: a server-streaming row (admin service).
  template <typename Request, typename Response>
  void AddStream(absl::string_view method, RoleSet roles,
                 typename StreamCall<Request, Response>::Handler handler) {
    AdminQueueService* service = env_.admin_service;
    const int index = AdminQueueService::MethodIndex(method);
    if (index < 0) {
      Abort(absl::StrCat("AdminService has no method ", method));
    }
    typename StreamCall<Request, Response>::RequestFn request_fn =
        [service, index](grpc::ServerContext* context,
                         grpc::ByteBuffer* request,
                         grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer,
                         grpc::ServerCompletionQueue* queue, void* tag) {
          service->RequestStream(index, context, request, writer, queue, tag);
        };
    const bool first =
        served_.insert({ServiceName(Service::kAdmin, method), true}).second;
    if (!first) {
      Abort(absl::StrCat("two rows serve ",
                         ServiceName(Service::kAdmin, method)));
    }
    rows_.push_back(MethodRow{
        Service::kAdmin, std::string(method), roles, CodeLookup::kNone,
        std::make_unique<StreamMethod<Request, Response>>(
            std::move(request_fn), std::move(handler), env_.streams)});
  }

  // Every method of both services has a row.
  std::vector<MethodRow> Finish() {
    CheckAllServed<loyalty::v1::LoyaltyService>(Service::kLoyalty);
    CheckAllServed<loyalty::v1::AdminService>(Service::kAdmin);
    return std::move(rows_);
  }

  const MethodEnvironment& env() const { return env_; }

 private:
  [[noreturn]] static void Abort(const std::string& problem) {
    std::fprintf(stderr, "method table: %s\n", problem.c_str());
    std::fflush(stderr);
    std::abort();
  }

  static std::string ServiceName(Service service, absl::string_view method) {
    return absl::StrCat(
        service == Service::kLoyalty ? "LoyaltyService/" : "AdminService/",
        method);
  }

  template <typename Request, typename Response, typename Generated>
  static typename UnaryCall<Request, Response>::RequestFn RequestFnOf(
      QueueService<Generated>* service, absl::string_view method) {
    const int index = QueueService<Generated>::MethodIndex(method);
    if (index < 0) {
      Abort(absl::StrCat(Generated::service_full_name(), " has no method ",
                         method));
    }
    return
        [service, index](
            grpc::ServerContext* context, grpc::ByteBuffer* request,
            grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>* responder,
            grpc::ServerCompletionQueue* queue, void* tag) {
          service->RequestUnary(index, context, request, responder, queue, tag);
        };
  }

  template <typename Generated>
  void CheckAllServed(Service service) {
    for (const std::string& method : QueueService<Generated>::MethodNames()) {
      if (!served_.contains(ServiceName(service, method))) {
        Abort(absl::StrCat("no row serves ", ServiceName(service, method)));
      }
    }
  }

  const MethodEnvironment& env_;
  std::vector<MethodRow> rows_;
  absl::flat_hash_map<std::string, bool> served_;
};

// The unknown-code limiter's two steps around one call of a row
// (unknown_code_limiter.h). Both do nothing for a row that looks up no code,
// so every adapter calls them the same way: Admit right after authorizing,
// Settle with the outcome before answering (so the caller's next call
// already sees the charge).
class CodeLookupGuard {
 public:
  CodeLookupGuard(UnknownCodeLimiter* limiter, CodeLookup code_lookup)
      : limiter_(code_lookup == CodeLookup::kNone ? nullptr : limiter),
        code_lookup_(code_lookup) {}

  // Whether this call of the row looks up a code.
  template <typename Request>
  bool LooksUp(const Request& request) const {
    if (limiter_ == nullptr) return false;
    if constexpr (std::is_same_v<Request, EarnRequest>) {
      return code_lookup_ == CodeLookup::kCouponCode ||
             request.coupon_codes_size() > 0;
    } else {
      return true;
    }
  }
  absl::Status Admit(const Principal& caller, bool looks_up) const {
    if (!looks_up) return absl::OkStatus();
    return limiter_->Admit(caller.name);
  }
  void Settle(const Principal& caller, bool looks_up,
              const absl::Status& outcome) const {
    if (looks_up) limiter_->Settle(caller.name, outcome);
  }

 private:
  UnknownCodeLimiter* limiter_;  // Null: the row looks up no code.
  CodeLookup code_lookup_;
};

// The commands whose request names a coupon code; the reads say it in
// their rows (AddReadRows). tests/server/method_table_test.cc pins the list.
template <typename Spec>
constexpr CodeLookup kCodeLookupOf =
    std::is_same_v<Spec, RedeemCouponCommand>    ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, ReserveCouponCommand> ? CodeLookup::kCouponCode
    // Voucher codes share the coupon codes' generator and limit.
    : std::is_same_v<Spec, RedeemVoucherUnitsCommand> ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, TransferVoucherUnitsCommand>
        ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, GiftVoucherUnitsCommand>   ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, ClaimVoucherGiftCommand>   ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, RefundVoucherUnitsCommand> ? CodeLookup::kCouponCode
    // A reward's code is a coupon's or a voucher's.
    : std::is_same_v<Spec, CancelRewardCommand> ? CodeLookup::kCouponCode
    : std::is_same_v<Spec, EarnCommand>         ? CodeLookup::kCouponCodesIfSent
                                                : CodeLookup::kNone;

// What a request speaks for (auth.h): its context when it carries one (every
// write does: validation requires its request id), the member it names, the
// identifier a lookup names.
template <typename Request>
CallScope ScopeOf(const Request& request) {
  CallScope scope;
  if constexpr (requires { request.has_context(); }) {
    if (request.has_context()) scope.context = &request.context();
  }
  if constexpr (requires { request.member_id(); }) {
    scope.member_id = request.member_id();
  }
  if constexpr (std::is_same_v<Request, LookupMemberRequest>) {
    scope.identifier = &request.identifier();
  }
  return scope;
}

// Partner keys' member scope reads members through the ledger.
MemberReader MembersOf(Ledger* ledger) {
  return [ledger](absl::string_view member_id) {
    return ledger->GetMember(std::string(member_id));
  };
}

// The adapter of every command row: authorize by the row, hand the request
// to the ledger, answer once the outcome is durable.
template <typename Spec>
void AddCommandRow(TableBuilder& table) {
  using Request = typename Spec::Request;
  using Response = typename Spec::Response;
  const Authenticator* auth = table.env().auth;
  Ledger* ledger = table.env().ledger;
  const CodeLookupGuard guard(table.env().unknown_codes, kCodeLookupOf<Spec>);
  table.Add<Request, Response>(
      Spec::kInfo.service, Spec::kInfo.name, Spec::kInfo.roles,
      kCodeLookupOf<Spec>,
      [auth, ledger, guard,
       members = MembersOf(ledger)](UnaryCall<Request, Response>* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), Spec::kInfo.roles,
                            Spec::kInfo.name, ScopeOf(call->request()),
                            members);
        if (!principal.ok()) return call->FinishWithError(principal.status());
        const bool looks_up = guard.LooksUp(call->request());
        absl::Status admitted = guard.Admit(**principal, looks_up);
        if (!admitted.ok()) return call->FinishWithError(admitted);
        ledger->Submit<Spec>(
            Caller{(*principal)->name}, std::move(call->mutable_request()),
            [call, guard, looks_up,
             caller = *principal](absl::StatusOr<Response> result) {
              guard.Settle(*caller, looks_up, result.status());
              call->Finish(result);
            });
      });
}

// The adapter of a read: authorize by the row's roles and what the request
// speaks for (a quote's context, a partner's member), answer inline.
template <typename Request, typename Response>
void AddReadRow(TableBuilder& table, Service service, absl::string_view method,
                RoleSet roles, CodeLookup code_lookup,
                std::function<absl::StatusOr<Response>(const Request&)> read) {
  const Authenticator* auth = table.env().auth;
  const CodeLookupGuard guard(table.env().unknown_codes, code_lookup);
  table.Add<Request, Response>(
      service, method, roles, code_lookup,
      [auth, roles, guard, method = std::string(method),
       members = MembersOf(table.env().ledger),
       read = std::move(read)](UnaryCall<Request, Response>* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), roles, method,
                            ScopeOf(call->request()), members);
        if (!principal.ok()) return call->FinishWithError(principal.status());
        const bool looks_up = guard.LooksUp(call->request());
        absl::Status admitted = guard.Admit(**principal, looks_up);
        if (!admitted.ok()) return call->FinishWithError(admitted);
        absl::StatusOr<Response> result = read(call->request());
        guard.Settle(**principal, looks_up, result.status());
        call->Finish(result);
      });
}

void AddReadRows(TableBuilder& table) {
  Ledger* ledger = table.env().ledger;
  // The quote's channel selects campaigns: a key quotes only for the
  // channels (and a POS key the stores) it may earn for.
  AddReadRow<EarnRequest, QuoteEarnResponse>(
      table, Service::kLoyalty, "QuoteEarn", roles::kEarning,
      CodeLookup::kCouponCodesIfSent,
      [ledger](const EarnRequest& request) {
        return ledger->QuoteEarn(request);
      });
  AddReadRow<LookupMemberRequest, Member>(
      table, Service::kLoyalty, "LookupMember", roles::kEarning,
      CodeLookup::kNone,
      [ledger](const LookupMemberRequest& request) {
        return ledger->LookupMember(request.identifier());
      });
  AddReadRow<GetMemberRequest, Member>(
      table, Service::kLoyalty, "GetMember", roles::kEarning,
      CodeLookup::kNone,
      [ledger](const GetMemberRequest& request) {
        return ledger->GetMember(request.member_id());
      });
  AddReadRow<GetBalanceRequest, Balance>(
      table, Service::kLoyalty, "GetBalance", roles::kStatements,
      CodeLookup::kNone,
      [ledger](const GetBalanceRequest& request) {
        return ledger->GetBalance(request.member_id());
      });
  AddReadRow<loyalty::v1::GetCouponRequest, loyalty::v1::Coupon>(
      table, Service::kLoyalty, "GetCoupon", roles::kTillAndApp,
      CodeLookup::kCouponCode,
      [ledger](const loyalty::v1::GetCouponRequest& request) {
        return ledger->GetCoupon(request.code());
      });
  AddReadRow<loyalty::v1::GetVoucherRequest, loyalty::v1::Voucher>(
      table, Service::kLoyalty, "GetVoucher", roles::kTillAndApp,
      CodeLookup::kCouponCode,
      [ledger](const loyalty::v1::GetVoucherRequest& request) {
        return ledger->GetVoucher(request.code());
      });
  AddReadRow<loyalty::v1::ValidateCouponRequest,
             loyalty::v1::ValidateCouponResponse>(
      table, Service::kLoyalty, "ValidateCoupon", roles::kTillAndApp,
      CodeLookup::kCouponCode,
      [ledger](const loyalty::v1::ValidateCouponRequest& request) {
        return ledger->ValidateCoupon(request);
      });
  AddReadRow<ListEntriesRequest, ListEntriesResponse>(
      table, Service::kLoyalty, "ListEntries", roles::kStatements,
      CodeLookup::kNone,
      [ledger](const ListEntriesRequest& request) {
        return ledger->ListEntries(request);
      });
  AddReadRow<loyalty::v1::ListRewardsRequest, loyalty::v1::ListRewardsResponse>(
      table, Service::kLoyalty, "ListRewards", roles::kTillAndApp,
      CodeLookup::kNone,
      [ledger](const loyalty::v1::ListRewardsRequest& request) {
        return ledger->ListRewards(request);
      });
  AddReadRow<loyalty::v1::ListWalletRequest, loyalty::v1::ListWalletResponse>(
      table, Service::kLoyalty, "ListWallet", roles::kTillAndApp,
      CodeLookup::kNone,
      [ledger](const loyalty::v1::ListWalletRequest& request) {
        return ledger->ListWallet(request);
      });
  AddReadRow<loyalty::v1::ListOfflineReconciliationsRequest,
             loyalty::v1::ListOfflineReconciliationsResponse>(
      table, Service::kAdmin, "ListOfflineReconciliations", roles::kReports,
      CodeLookup::kNone,
      [ledger](const loyalty::v1::ListOfflineReconciliationsRequest& request) {
        return ledger->ListOfflineReconciliations(request);
      });
  auto stats = table.env().stats;
  AddReadRow<GetServerStatsRequest, ServerStats>(
      table, Service::kAdmin, "GetServerStats", roles::kReports,
      CodeLookup::kNone,
      [stats](const GetServerStatsRequest&) -> absl::StatusOr<ServerStats> {
        return stats();
      });
}

void AddVerifyRow(TableBuilder& table) {
  const Authenticator* auth = table.env().auth;
  Ledger* ledger = table.env().ledger;
  BackgroundRunner* background = table.env().background;
  using VerifyCall = UnaryCall<VerifyLedgerRequest, VerifyLedgerResponse>;
  table.Add<VerifyLedgerRequest, VerifyLedgerResponse>(
      Service::kAdmin, "VerifyLedger", roles::kReports, CodeLookup::kNone,
      [auth, ledger, background](VerifyCall* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), roles::kReports, "VerifyLedger",
                            CallScope{}, MemberReader());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        // A replay of the whole ledger must not hold a queue thread.
        background->Run([call, ledger] { call->Finish(ledger->Verify()); });
      });
}

// A backup: admitted here (configured, a valid name, none running), made
// on the background thread, which it may hold for seconds.
void AddBackupRow(TableBuilder& table) {
  const Authenticator* auth = table.env().auth;
  Backups* backups = table.env().backups;
  BackgroundRunner* background = table.env().background;
  using BackupCall = UnaryCall<loyalty::v1::BackupRequest,
                               loyalty::v1::BackupResponse>;
  table.Add<loyalty::v1::BackupRequest, loyalty::v1::BackupResponse>(
      Service::kAdmin, "Backup", roles::kAdminOnly, CodeLookup::kNone,
      [auth, backups, background](BackupCall* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), roles::kAdminOnly, "Backup",
                            CallScope{}, MemberReader());
        if (!principal.ok()) return call->FinishWithError(principal.status());
        absl::Status admitted = backups->Admit(call->request());
        if (!admitted.ok()) return call->FinishWithError(admitted);
        background->Run(
            [call, backups] { call->Finish(backups->Run(call->request())); });
      });
}

// Collects the per-item outcomes of one batch call (EarnBatch,
// ImportMembers, SubmitBatch) and answers the call when the last one
// arrives (on whichever thread completes it).
template <typename BatchRequest, typename BatchResponse>
class BatchCollector {
 public:
  using Call = UnaryCall<BatchRequest, BatchResponse>;
  using Result = std::remove_pointer_t<
      decltype(std::declval<BatchResponse&>().add_results())>;
  BatchCollector(Call* call, int items) : call_(call), pending_(items) {
    for (int i = 0; i < items; ++i) response_.add_results();
  }

  // Writes item `index`'s result: the failure's code, message and reason,
  // or, when `status` is OK, whatever `fill_ok` puts in the result.
  template <typename FillOk>
  void Complete(int index, const absl::Status& status, FillOk&& fill_ok) {
    Result* result = response_.mutable_results(index);
    if (status.ok()) {
      fill_ok(result);
    } else {
      result->set_code(static_cast<int32_t>(status.code()));
      result->set_message(std::string(status.message()));
      result->set_reason(ReasonOf(status));
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

// A batch RPC: up to `items_max` requests of the command `Spec` in one call,
// each decided (and remembered) on its own. Every item is authorized before
// any is queued, so a batch is either allowed or refused as a whole.
template <typename Spec, typename BatchRequest, typename BatchResponse>
void AddFanOutRow(
    TableBuilder& table, absl::string_view method, absl::string_view field,
    absl::string_view holds, int items_max,
    google::protobuf::RepeatedPtrField<typename Spec::Request>* (
        BatchRequest::*items_of)(),
    std::function<SubmitOptions(const BatchRequest&)> options_of) {
  using Call = UnaryCall<BatchRequest, BatchResponse>;
  using Collector = BatchCollector<BatchRequest, BatchResponse>;
  const Authenticator* auth = table.env().auth;
  Ledger* ledger = table.env().ledger;
  // An item naming coupon codes is a lookup like a single call's.
  const CodeLookupGuard guard(table.env().unknown_codes, kCodeLookupOf<Spec>);
  table.Add<BatchRequest, BatchResponse>(
      Spec::kInfo.service, method, Spec::kInfo.roles, kCodeLookupOf<Spec>,
      [auth, ledger, guard, method = std::string(method),
       field = std::string(field), holds = std::string(holds), items_max,
       items_of, members = MembersOf(ledger),
       options_of = std::move(options_of)](Call* call) {
        // The role first (every item's channel, store and member below).
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), Spec::kInfo.roles, method,
                            CallScope{}, members);
        if (!principal.ok()) return call->FinishWithError(principal.status());
        auto& items = *(call->mutable_request().*items_of)();
        if (items.empty() || items.size() > items_max) {
          return call->FinishWithError(InvalidField(
              field, absl::StrCat(holds, " 1..", items_max, " ", field)));
        }
        for (int i = 0; i < items.size(); ++i) {
          absl::Status allowed =
              Authenticator::Permit(**principal, Spec::kInfo.roles, method,
                                    ScopeOf(items[i]), members);
          if (!allowed.ok()) {
            return call->FinishWithError(absl::Status(
                allowed.code(),
                absl::StrCat(field, "[", i, "]: ", allowed.message())));
          }
        }
        const SubmitOptions options = options_of(call->request());
        auto* collector = new Collector(call, items.size());
        Caller caller{(*principal)->name};
        const std::shared_ptr<const Principal> caller_principal = *principal;
        for (int i = 0; i < items.size(); ++i) {
          const bool looks_up = guard.LooksUp(items[i]);
          absl::Status admitted = guard.Admit(**principal, looks_up);
          if (!admitted.ok()) {
            collector->Complete(i, admitted, [](auto*) {});
            continue;
          }
          ledger->Submit<Spec>(
              caller, std::move(items[i]),
              [collector, guard, looks_up, i, caller_principal](
                  absl::StatusOr<typename Spec::Response> outcome) {
                guard.Settle(*caller_principal, looks_up, outcome.status());
                collector->Complete(i, outcome.status(), [&](auto* result) {
                  *result->mutable_response() = std::move(*outcome);
                });
              },
              options);
        }
      });
}

// SubmitBatch: any command rows in one call. A Mutation's field is named
// after its command's RPC (snake_case), and so is the MutationResult's
// response field; the routes below are built from the command table, which
// refuses to start when a command has no field or a field no command.
class MutationRoutes {
 public:
  // Hands one result back: the status, and the response when OK.
  using Done =
      absl::AnyInvocable<void(absl::Status, google::protobuf::Message*) &&>;
  struct Route {
    RoleSet roles;
    absl::string_view method;
    const google::protobuf::FieldDescriptor* response_field;
    // What the mutation speaks for (what Permit checks).
    std::function<CallScope(const Mutation&)> scope_of;
    // Queues the mutation as its command; `done` runs once.
    std::function<void(std::shared_ptr<const Principal>, Mutation&, Done)>
        submit;
  };

  explicit MutationRoutes(const MethodEnvironment& env) {
    CommandTable::ForEach([&]<typename Spec>() {
      if constexpr (Spec::kInfo.unary_rpc) Add<Spec>(env);
    });
    const google::protobuf::OneofDescriptor* command =
        Mutation::descriptor()->FindOneofByName("command");
    for (int i = 0; i < command->field_count(); ++i) {
      if (!routes_.contains(command->field(i)->number())) {
        Abort(absl::StrCat("Mutation.", command->field(i)->name(),
                           " names no command"));
      }
    }
  }

  // The route of the mutation's set field, or nullptr when none is set.
  const Route* Find(const Mutation& mutation) const {
    auto found = routes_.find(static_cast<int>(mutation.command_case()));
    return found == routes_.end() ? nullptr : &found->second;
  }

 private:
  [[noreturn]] static void Abort(const std::string& problem) {
    std::fprintf(stderr, "method table: %s\n", problem.c_str());
    std::fflush(stderr);
    std::abort();
  }

  static std::string SnakeCase(absl::string_view name) {
    std::string snake;
    for (char c : name) {
      if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
        if (!snake.empty()) snake.push_back('_');
        snake.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
      } else {
        snake.push_back(c);
      }
    }
    return snake;
  }

  template <typename Spec>
  void Add(const MethodEnvironment& env) {
    using Request = typename Spec::Request;
    using Response = typename Spec::Response;
    const std::string field_name = SnakeCase(Spec::kInfo.name);
    const google::protobuf::FieldDescriptor* request_field =
        Mutation::descriptor()->FindFieldByName(field_name);
    const google::protobuf::FieldDescriptor* response_field =
        MutationResult::descriptor()->FindFieldByName(field_name);
    if (request_field == nullptr || response_field == nullptr ||
        request_field->message_type() != Request::descriptor() ||
        response_field->message_type() != Response::descriptor()) {
      Abort(absl::StrCat("Mutation and MutationResult need a field ",
                         field_name, " of ", Request::descriptor()->name(),
                         " and ", Response::descriptor()->name(), " for ",
                         Spec::kInfo.name));
    }
    Ledger* ledger = env.ledger;
    const CodeLookupGuard guard(env.unknown_codes, kCodeLookupOf<Spec>);
    Route route{
        Spec::kInfo.roles, Spec::kInfo.name, response_field,
        [request_field](const Mutation& mutation) {
          const auto& request = static_cast<const Request&>(
              mutation.GetReflection()->GetMessage(mutation, request_field));
          return ScopeOf(request);
        },
        [ledger, guard, request_field](std::shared_ptr<const Principal> caller,
                                       Mutation& mutation, Done done) {
          // The descriptor check above makes the field a Request.
          auto& request =
              static_cast<Request&>(*mutation.GetReflection()->MutableMessage(
                  &mutation, request_field));
          const bool looks_up = guard.LooksUp(request);
          absl::Status admitted = guard.Admit(*caller, looks_up);
          if (!admitted.ok()) {
            std::move(done)(std::move(admitted), nullptr);
            return;
          }
          ledger->Submit<Spec>(
              Caller{caller->name}, std::move(request),
              [guard, looks_up, caller_principal = caller,
               done =
                   std::move(done)](absl::StatusOr<Response> outcome) mutable {
                guard.Settle(*caller_principal, looks_up, outcome.status());
                if (!outcome.ok()) {
                  std::move(done)(outcome.status(), nullptr);
                  return;
                }
                std::move(done)(absl::OkStatus(), &*outcome);
              });
        }};
    if (!routes_.emplace(request_field->number(), std::move(route)).second) {
      Abort(absl::StrCat("two commands route Mutation.", field_name));
    }
  }

  absl::flat_hash_map<int, Route> routes_;
};

void AddSubmitBatchRow(TableBuilder& table) {
  using Call = UnaryCall<SubmitBatchRequest, SubmitBatchResponse>;
  const Authenticator* auth = table.env().auth;
  auto routes = std::make_shared<const MutationRoutes>(table.env());
  MemberReader members = MembersOf(table.env().ledger);
  // The batch's own row takes the roles that write at tills and in apps;
  // each mutation is then permitted by its own command's row (admin
  // commands need the admin role) and scope, and charged to the code
  // limiter like its own RPC.
  table.Add<SubmitBatchRequest, SubmitBatchResponse>(
      Service::kLoyalty, "SubmitBatch", roles::kTillAndApp,
      CodeLookup::kCouponCodesIfSent, [auth, routes, members](Call* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), roles::kTillAndApp,
                            "SubmitBatch", CallScope{}, members);
        if (!principal.ok()) return call->FinishWithError(principal.status());
        auto& mutations = *call->mutable_request().mutable_mutations();
        if (mutations.empty() || mutations.size() > kSubmitBatchMutationsMax) {
          return call->FinishWithError(InvalidField(
              "mutations",
              absl::StrCat("a batch holds 1..", kSubmitBatchMutationsMax,
                           " mutations")));
        }
        std::vector<const MutationRoutes::Route*> chosen;
        chosen.reserve(mutations.size());
        for (int i = 0; i < mutations.size(); ++i) {
          const MutationRoutes::Route* route = routes->Find(mutations[i]);
          if (route == nullptr) {
            return call->FinishWithError(InvalidField(
                absl::StrCat("mutations[", i, "]"), "names no command"));
          }
          absl::Status allowed =
              Authenticator::Permit(**principal, route->roles, route->method,
                                    route->scope_of(mutations[i]), members);
          if (!allowed.ok()) {
            return call->FinishWithError(absl::Status(
                allowed.code(),
                absl::StrCat("mutations[", i, "]: ", allowed.message())));
          }
          chosen.push_back(route);
        }
        auto* results = new BatchCollector<SubmitBatchRequest,
                                           SubmitBatchResponse>(
            call, mutations.size());
        for (int i = 0; i < mutations.size(); ++i) {
          const google::protobuf::FieldDescriptor* response_field =
              chosen[i]->response_field;
          chosen[i]->submit(
              *principal, mutations[i],
              [results, i, response_field](
                  absl::Status status, google::protobuf::Message* response) {
                results->Complete(i, status, [&](MutationResult* result) {
                  google::protobuf::Message* slot =
                      result->GetReflection()->MutableMessage(result,
                                                              response_field);
                  slot->GetReflection()->Swap(slot, response);
                });
              });
        }
      });
}

// Bulk coupon codes: GenerateCoupons streams a batch's chunks
// (server/generate_coupons_call.h); its chunks are GenerateCouponChunk
// commands, authorized here by that row's access.
void AddGenerateCouponsRow(TableBuilder& table) {
  const Authenticator* auth = table.env().auth;
  Ledger* ledger = table.env().ledger;
  constexpr RoleSet kRoles = GenerateCouponChunkCommand::kInfo.roles;
  table.AddStream<GenerateCouponsRequest, GenerateCouponsResponse>(
      "GenerateCoupons", kRoles,
      [auth, ledger, members = MembersOf(ledger)](GenerateCouponsCall* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), kRoles, "GenerateCoupons",
                            ScopeOf(call->request()), members);
        if (!principal.ok()) return call->Finish(principal.status());
        RunGenerateCoupons(ledger, Caller{(*principal)->name}, call);
      });
}

// The change stream: a session of the watch hub per call
// (server/watch_entries.h), for operators and auditors.
void AddWatchEntriesRow(TableBuilder& table) {
  const Authenticator* auth = table.env().auth;
  WatchHub* watches = table.env().watches;
  table.AddStream<WatchEntriesRequest, WatchEntriesResponse>(
      "WatchEntries", roles::kReports, [auth, watches](WatchEntriesCall* call) {
        absl::StatusOr<std::shared_ptr<const Principal>> principal =
            auth->Authorize(call->context(), roles::kReports, "WatchEntries",
                            CallScope{}, MemberReader());
        if (!principal.ok()) return call->Finish(principal.status());
        watches->Serve(call);
      });
}

}  // namespace

std::vector<MethodRow> BuildMethodTable(const MethodEnvironment& environment) {
  TableBuilder table(environment);
  CommandTable::ForEach([&]<typename Spec>() {
    if constexpr (Spec::kInfo.unary_rpc) AddCommandRow<Spec>(table);
  });
  AddReadRows(table);
  AddVerifyRow(table);
  AddBackupRow(table);
  AddFanOutRow<EarnCommand, EarnBatchRequest, EarnBatchResponse>(
      table, "EarnBatch", "events", "a batch holds", kEarnBatchEventsMax,
      &EarnBatchRequest::mutable_events,
      [](const EarnBatchRequest&) { return SubmitOptions{}; });
  AddFanOutRow<ImportMemberCommand, ImportMembersRequest,
               ImportMembersResponse>(
      table, "ImportMembers", "rows", "a call holds", kImportRowsPerCallMax,
      &ImportMembersRequest::mutable_rows,
      [](const ImportMembersRequest& request) {
        return SubmitOptions{.dry_run = request.dry_run()};
      });
  AddSubmitBatchRow(table);
  AddGenerateCouponsRow(table);
  AddWatchEntriesRow(table);
  return table.Finish();
}

}  // namespace loyalty
