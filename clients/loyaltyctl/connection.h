// File: clients/loyaltyctl/connection.h
//
// loyaltyctl's client of loyaltyd for one run: the C++ client library
// (clients/cpp, loyalty::client::Client) configured from the global flags,
// and the one way its RPCs are sent, a failure reported as one line on
// stderr.
//
//   Connection connection(global);
//   loyalty::v1::Balance balance;
//   ExitCode sent = connection.Call(&LoyaltyService::Stub::GetBalance,
//                                   request, &balance,
//                                   /*retry_request_id=*/"");
//   if (sent != ExitCode::kOk) return sent;

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"
#include "loyalty/client/client.h"

namespace loyalty::ctl {

// The library's options for the global flags: --server, --api-key,
// --timeout-ms (each attempt's deadline) and --retries (transient failures
// sent again under the same request id, with backoff).
loyalty::client::ClientOptions ClientOptionsFor(const GlobalFlags& global);

class Connection {
 public:
  // Makes the client; nothing is sent, and no connection is opened, before
  // the first Call.
  explicit Connection(const GlobalFlags& global);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Whether the global flags made a client: when not (a flag the library
  // refuses), Call reports it as bad input and sends nothing.
  const absl::Status& status() const { return status_; }
  // REQUIRES: status().ok().
  const loyalty::client::Client& client() const { return *client_; }

  // Sends one unary RPC, `method`, through the library (deadline, API key,
  // retries). Returns kOk with *response filled in. On failure, reports it
  // (see ReportRpcFailure) and returns its exit code. `retry_request_id` is
  // the request id of a write, "" for a read.
  template <typename Stub, typename Request, typename Response>
  ExitCode Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                             const Request&, Response*),
                const Request& request, Response* response,
                absl::string_view retry_request_id) const {
    if (!status_.ok()) return ReportBadInput(status_);
    const loyalty::client::CallKind kind =
        retry_request_id.empty() ? loyalty::client::CallKind::kRead
                                 : loyalty::client::CallKind::kWrite;
    absl::StatusOr<Response> answer = client_->Call(method, request, kind);
    if (!answer.ok()) {
      return ReportRpcFailure(answer.status(), retry_request_id);
    }
    *response = *std::move(answer);
    return ExitCode::kOk;
  }

 private:
  absl::Status status_;
  std::unique_ptr<loyalty::client::Client> client_;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CONNECTION_H_
