// File: clients/cpp/src/client.cc

#include "loyalty/client/client.h"

#include <chrono>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loyalty/client/retry.h"
#include "loyalty/v1/contract.h"

namespace loyalty::client {
namespace {

absl::string_view View(const grpc::string_ref& text) {
  return absl::string_view(text.data(), text.size());
}

// The absl::Status of a failed call: gRPC's code (the numbering is shared),
// its message, and the trailers' reason and transient mark as payloads.
absl::Status StatusFromCall(const grpc::Status& answer,
                            const grpc::ClientContext& context) {
  absl::Status status(static_cast<absl::StatusCode>(answer.error_code()),
                      answer.error_message());
  const std::multimap<grpc::string_ref, grpc::string_ref>& trailers =
      context.GetServerTrailingMetadata();
  const auto reason = trailers.find(contract::kReasonMetadataKey);
  if (reason != trailers.end()) {
    status.SetPayload(kReasonPayloadTypeUrl, absl::Cord(View(reason->second)));
  }
  const auto transient = trailers.find(contract::kTransientMetadataKey);
  if (transient != trailers.end() &&
      View(transient->second) == contract::kTransientMetadataValue) {
    status.SetPayload(kTransientPayloadTypeUrl, absl::Cord("true"));
  }
  return status;
}

// One generator per thread: calls on many threads never wait for each other
// here. Jitter needs no cryptographic strength, only independent terminals.
std::mt19937_64& JitterRandom() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return random;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(
    const ClientOptions& options) {
  if (!options.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certs_pem;
  ssl.pem_private_key = options.tls_client_key_pem;
  ssl.pem_cert_chain = options.tls_client_cert_pem;
  return grpc::SslCredentials(ssl);
}

grpc::ChannelArguments ChannelArgs(const ClientOptions& options) {
  grpc::ChannelArguments args;
  if (!options.tls_server_name_override.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name_override);
  }
  // gRPC waits 1 s and more between reconnects by default; a retry sent
  // while the channel waits would fail at once without trying the server.
  // Reconnecting on the retry policy's own scale lets each retry connect.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(options.retry.initial_backoff_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(options.retry.backoff_max_ms));
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "loyalty-client-cpp");
  // A failed connection asks the resolver to look the address up again,
  // and gRPC's DNS resolver answers at most every 30 s by default; until it
  // has, the channel makes no new connection attempt, so a till would stay
  // offline for up to 30 s after loyaltyd came back. A second is enough
  // for an address that rarely changes.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  return args;
}

// A timeout of 0 sets no deadline (a stream that runs until stopped).
void PrepareContext(const ClientOptions& options, int64_t timeout_ms,
                    grpc::ClientContext* context) {
  if (timeout_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(timeout_ms));
  }
  if (!options.api_key.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", options.api_key));
  }
}

// A write that failed transiently may have been applied: the caller gets
// the request id to resend under, however the last attempt failed.
absl::Status MarkOutcomeUnknown(absl::Status failure,
                                const std::string& request_id) {
  failure.SetPayload(kOutcomeUnknownPayloadTypeUrl, absl::Cord(request_id));
  return failure;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (absl::Status valid = ValidateClientOptions(options); !valid.ok()) {
    return valid;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = Credentials(options);
  if (credentials == nullptr) {
    return absl::InvalidArgumentError(
        "tls_root_certs_pem, tls_client_cert_pem, tls_client_key_pem: gRPC "
        "cannot use them as PEM");
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      options.address, std::move(credentials), ChannelArgs(options));
  return std::unique_ptr<Client>(
      new Client(std::move(options), std::move(channel)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      loyalty_stub_(v1::LoyaltyService::NewStub(channel_)),
      admin_stub_(v1::AdminService::NewStub(channel_)) {}

Client::Attempts::Attempts(const Client& client, CallKind kind,
                           std::string request_id, const CallOptions& call)
    : client_(client),
      kind_(kind),
      request_id_(std::move(request_id)),
      call_(call) {}

void Client::Attempts::Prepare(grpc::ClientContext* context) const {
  const int64_t timeout_ms = call_.timeout_ms > 0
                                 ? call_.timeout_ms
                                 : client_.options_.call_timeout_ms;
  PrepareContext(client_.options_, timeout_ms, context);
}

std::optional<absl::Status> Client::Attempts::Failed(
    const grpc::Status& answer, const grpc::ClientContext& context) {
  absl::Status failure = StatusFromCall(answer, context);
  if (!IsTransientFailure(failure)) return failure;
  const RetryPolicy& policy = client_.options_.retry;
  if (attempt_ >= policy.attempts_max) {
    if (kind_ == CallKind::kWrite) {
      return MarkOutcomeUnknown(std::move(failure), request_id_);
    }
    return failure;
  }
  const int64_t pause_ms =
      FullJitterBackoffMs(policy, /*retry_index=*/attempt_ - 1, JitterRandom());
  ++attempt_;
  if (call_.on_retry) {
    call_.on_retry(RetryNotice{std::move(failure), attempt_,
                               policy.attempts_max, pause_ms});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  return std::nullopt;
}

absl::Status Client::GenerateCoupons(
    v1::GenerateCouponsRequest request,
    const std::function<absl::Status(const v1::GenerateCouponsResponse&)>&
        on_chunk,
    const CallOptions& call) const {
  absl::StatusOr<std::string> request_id =
      AssignRequestId(request, CallKind::kWrite);
  if (!request_id.ok()) return request_id.status();
  grpc::ClientContext context;
  PrepareContext(
      options_,
      call.timeout_ms > 0 ? call.timeout_ms : options_.call_timeout_ms,
      &context);
  std::unique_ptr<grpc::ClientReader<v1::GenerateCouponsResponse>> reader =
      admin_stub_->GenerateCoupons(&context, request);
  v1::GenerateCouponsResponse chunk;
  absl::Status handled;
  while (handled.ok() && reader->Read(&chunk)) handled = on_chunk(chunk);
  // Finish() waits for the server's status; a cancelled call ends at once.
  if (!handled.ok()) context.TryCancel();
  const grpc::Status answer = reader->Finish();
  if (!handled.ok()) return handled;
  if (answer.ok()) return absl::OkStatus();
  absl::Status failure = StatusFromCall(answer, context);
  if (IsTransientFailure(failure)) {
    return MarkOutcomeUnknown(std::move(failure), *request_id);
  }
  return failure;
}

absl::Status Client::WatchEntries(
    const v1::WatchEntriesRequest& request,
    const std::function<absl::Status(const v1::WatchEntriesResponse&)>&
        on_response) const {
  grpc::ClientContext context;
  // A stream runs until stopped: credentials, no deadline.
  PrepareContext(options_, /*timeout_ms=*/0, &context);
  std::unique_ptr<grpc::ClientReader<v1::WatchEntriesResponse>> reader =
      admin_stub_->WatchEntries(&context, request);
  v1::WatchEntriesResponse response;
  absl::Status handled;
  while (handled.ok() && reader->Read(&response)) handled = on_response(response);
  if (!handled.ok()) context.TryCancel();
  const grpc::Status answer = reader->Finish();
  if (!handled.ok()) return handled;
  return StatusFromCall(answer, context);
}

absl::StatusOr<v1::SubmitBatchResponse> Client::SubmitBatch(
    v1::SubmitBatchRequest request, const CallOptions& call) const {
  for (v1::Mutation& mutation : *request.mutable_mutations()) {
    // Every command's request has a RequestContext `context`; the set
    // field is the command (an unset one is the server's to refuse).
    const google::protobuf::FieldDescriptor* command =
        mutation.GetDescriptor()->FindFieldByNumber(
            static_cast<int>(mutation.command_case()));
    if (command == nullptr) continue;
    google::protobuf::Message* command_request =
        mutation.GetReflection()->MutableMessage(&mutation, command);
    const google::protobuf::FieldDescriptor* context_field =
        command_request->GetDescriptor()->FindFieldByName("context");
    if (context_field == nullptr ||
        context_field->message_type() !=
            v1::RequestContext::descriptor()) {
      continue;
    }
    auto* context = static_cast<v1::RequestContext*>(
        command_request->GetReflection()->MutableMessage(command_request,
                                                         context_field));
    if (context->request_id().empty()) {
      absl::StatusOr<std::string> generated = GenerateRequestId();
      if (!generated.ok()) return generated.status();
      context->set_request_id(*std::move(generated));
    }
  }
  return Call(&v1::LoyaltyService::Stub::SubmitBatch, std::move(request),
              CallKind::kWrite, call);
}

}  // namespace loyalty::client
