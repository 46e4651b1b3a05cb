// File: tests/fuzz/page_token_fuzz.cc
//
// Fuzzes statement page tokens (ledger/common/page_token.h). Input:
//
//   u8 n | member id (n bytes, fewer if the input ends) | token (the rest)
//
// Clients send page tokens verbatim, so DecodePageToken must never crash on
// any bytes, for any member id, and must fail only with INVALID_ARGUMENT
// naming page_token. When it accepts a token:
//   - EncodePageToken(member, sequence) decodes to the same sequence, and
//   - the token is bound to the member: another member's decode rejects it.
// Independently of the token, the first 8 bytes after the member id, read as
// a sequence, must survive Encode then Decode (every uint64, including 0 and
// 2^64-1), and the encoding must be URL-safe base64 with no padding.
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "ledger/common/page_token.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

// Another member for the binding check; it differs from `member_id` whatever
// the fuzzer picks.
std::string OtherMember(absl::string_view member_id) {
  return std::string(member_id) + "x";
}

void CheckEncoding(absl::string_view token) {
  LEDGER_CHECK(!token.empty());
  for (char c : token) {
    bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_';
    LEDGER_CHECK(url_safe);
  }
}

void CheckRoundTrip(absl::string_view member_id, uint64_t sequence) {
  std::string token = EncodePageToken(member_id, sequence);
  CheckEncoding(token);
  absl::StatusOr<uint64_t> decoded = DecodePageToken(member_id, token);
  LEDGER_CHECK(decoded.ok());
  LEDGER_CHECK(*decoded == sequence);
  // Invariant: a token is bound to the member it was made for.
  absl::StatusOr<uint64_t> stolen =
      DecodePageToken(OtherMember(member_id), token);
  LEDGER_CHECK(stolen.status().code() == absl::StatusCode::kInvalidArgument);
}

void FuzzOne(absl::string_view member_id, absl::string_view token) {
  absl::StatusOr<uint64_t> decoded = DecodePageToken(member_id, token);
  if (!decoded.ok()) {
    LEDGER_CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    LEDGER_CHECK(absl::StartsWith(decoded.status().message(), "page_token: "));
  } else {
    CheckRoundTrip(member_id, *decoded);
  }

  if (token.size() >= 8) {
    uint64_t sequence = 0;
    std::memcpy(&sequence, token.data(), sizeof(sequence));
    CheckRoundTrip(member_id, sequence);
  }
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t member_size = data[0] < rest.size() ? data[0] : rest.size();
  loyalty::FuzzOne(rest.substr(0, member_size), rest.substr(member_size));
  return 0;
}
