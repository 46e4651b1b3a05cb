// File: clients/loyaltyctl/request_id.h
//
// Request ids for mutating commands when the operator gives none. The server
// remembers each request id's outcome, so an id must never repeat by chance:
// 128 random bits make a collision practically impossible.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_REQUEST_ID_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_REQUEST_ID_H_

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::ctl {

// Returns "ctl-" followed by the client library's random id (32 lower-case
// hex digits, loyalty::client::GenerateRequestId), e.g. "ctl-3f2a...". The
// prefix tells support staff the id came from loyaltyctl. Returns
// kUnavailable when the system has no random source; the operator can then
// pass --request-id.
absl::StatusOr<std::string> GenerateRequestId();

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_REQUEST_ID_H_
