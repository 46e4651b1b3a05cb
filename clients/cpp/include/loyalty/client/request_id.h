// File: loyalty/client/request_id.h
//
// Request ids for writes whose caller gives none. The server remembers each
// id's outcome per API key, so an id must never repeat by chance: 128 bits
// from the operating system's cryptographic generator make a collision
// practically impossible, across terminals and restarts alike.
#ifndef LOYALTY_CLIENT_REQUEST_ID_H_
#define LOYALTY_CLIENT_REQUEST_ID_H_

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::client {

inline constexpr int kRequestIdRandomBits = 128;

// 32 lower-case hex digits (128 random bits from OpenSSL's RAND_bytes).
// Unavailable when the generator cannot be seeded; nothing should then be
// sent without an id the caller chose.
absl::StatusOr<std::string> GenerateRequestId();

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_REQUEST_ID_H_
