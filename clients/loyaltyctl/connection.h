// File: clients/loyaltyctl/connection.h
//
// The channel to loyaltyd for one loyaltyctl run, and the one way its RPCs
// are sent: with the run's deadline and API key, a failure reported as one
// line on stderr.
//
//   Connection connection(global);
//   loyalty::v1::Balance balance;
//   ExitCode sent = connection.Call(
//       connection.loyalty(), &LoyaltyService::Stub::GetBalance, request,
//       &balance, /*retry_request_id=*/"");
//   if (sent != ExitCode::kOk) return sent;

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"

namespace loyalty::ctl {

// Sets the deadline and the authorization metadata of one call, as every
// loyaltyctl call has them (Connection::Call, and import's parallel calls).
void PrepareCallContext(const std::string& api_key, int64_t timeout_ms,
                        grpc::ClientContext* context);

class Connection {
 public:
  // Creates the channel to global.server_address. Nothing is sent, and no
  // connection is opened, before the first Call.
  explicit Connection(const GlobalFlags& global);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  loyalty::v1::LoyaltyService::Stub* loyalty() const {
    return loyalty_stub_.get();
  }
  loyalty::v1::AdminService::Stub* admin() const { return admin_stub_.get(); }

  // Sends one unary RPC, `method` of `stub`, with a deadline of --timeout-ms
  // from now and the API key. Returns kOk with *response filled in. On
  // failure, reports it (see ReportRpcFailure; `retry_request_id` is the
  // request id of a write, "" for a read) and returns its exit code.
  template <typename Stub, typename Request, typename Response>
  ExitCode Call(Stub* stub,
                grpc::Status (Stub::*method)(grpc::ClientContext*,
                                             const Request&, Response*),
                const Request& request, Response* response,
                absl::string_view retry_request_id) const {
    grpc::ClientContext context;
    PrepareContext(&context);
    const grpc::Status status = (stub->*method)(&context, request, response);
    if (!status.ok()) {
      return ReportRpcFailure(status, context, retry_request_id);
    }
    return ExitCode::kOk;
  }

 private:
  void PrepareContext(grpc::ClientContext* context) const {
    PrepareCallContext(api_key_, timeout_ms_, context);
  }

  const std::string api_key_;
  const int64_t timeout_ms_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<loyalty::v1::LoyaltyService::Stub> loyalty_stub_;
  std::unique_ptr<loyalty::v1::AdminService::Stub> admin_stub_;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_
