// File: clients/loyaltyctl/connection.cc

#include "clients/loyaltyctl/connection.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace loyalty::ctl {

Connection::Connection(const GlobalFlags& global)
    : api_key_(global.api_key),
      timeout_ms_(global.timeout_ms),
      // Plaintext until loyaltyd serves TLS.
      channel_(grpc::CreateChannel(global.server_address,
                                   grpc::InsecureChannelCredentials())),
      loyalty_stub_(loyalty::v1::LoyaltyService::NewStub(channel_)),
      admin_stub_(loyalty::v1::AdminService::NewStub(channel_)) {}

void PrepareCallContext(const std::string& api_key, int64_t timeout_ms,
                        grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(timeout_ms));
  // Without a key the server answers UNAUTHENTICATED, which says more than a
  // local refusal would; an empty "Bearer " would only hide that.
  if (!api_key.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", api_key));
  }
}

}  // namespace loyalty::ctl
