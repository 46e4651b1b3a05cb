// File: clients/cpp/src/request_id.cc

#include "loyalty/client/request_id.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace loyalty::client {

absl::StatusOr<std::string> GenerateRequestId() {
  static_assert(kRequestIdRandomBits % 8 == 0);
  std::array<unsigned char, kRequestIdRandomBits / 8> random_bytes{};
  // RAND_bytes returns 1 only when the bytes came from a seeded CSPRNG.
  if (RAND_bytes(random_bytes.data(), static_cast<int>(random_bytes.size())) !=
      1) {
    return absl::UnavailableError(
        "cannot generate a request id: the system's random generator is not "
        "available; set context.request_id");
  }
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(random_bytes.data()), random_bytes.size()));
}

}  // namespace loyalty::client
