// File: clients/loyaltyctl/request_id.cc

#include "clients/loyaltyctl/request_id.h"

#include <cstdint>
#include <exception>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loyalty::ctl {
namespace {

constexpr char kRequestIdPrefix[] = "ctl-";
constexpr int kRequestIdBits = 128;
constexpr int kBitsPerDraw = 32;

// Each draw of std::random_device must give 32 uniform bits, or fewer than 128
// bits of randomness would end up in the id.
static_assert(std::random_device::min() == 0);
static_assert(std::random_device::max() == UINT32_MAX);

}  // namespace

absl::StatusOr<std::string> GenerateRequestId() {
  std::string request_id = kRequestIdPrefix;
  // std::random_device throws when the OS cannot supply random bytes.
  try {
    std::random_device random_device;
    for (int i = 0; i < kRequestIdBits / kBitsPerDraw; ++i) {
      const uint32_t draw = random_device();
      absl::StrAppendFormat(&request_id, "%08x", draw);
    }
  } catch (const std::exception& error) {
    return absl::UnavailableError(absl::StrCat("cannot generate a request id (",
                                               error.what(),
                                               "); pass --request-id"));
  }
  return request_id;
}

}  // namespace loyalty::ctl
