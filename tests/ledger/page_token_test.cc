// Statement page tokens (ledger/common/page_token.h): opaque, bound to one member,
// and tamper-evident.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/page_token.h"

namespace loyalty {
namespace {

TEST_CASE("a page token decodes to the sequence it was made for",
          "[page_token]") {
  for (uint64_t sequence : std::vector<uint64_t>{1, 42, uint64_t{1} << 40}) {
    std::string token = EncodePageToken("alice", sequence);
    auto decoded = DecodePageToken("alice", token);
    INFO(decoded.status().ToString());
    REQUIRE(decoded.ok());
    CHECK(*decoded == sequence);
  }
}

TEST_CASE("a page token is url-safe", "[page_token]") {
  std::string token = EncodePageToken("alice", 0xfbffffffffffffffull);
  CHECK(token.find_first_of("+/ ") == std::string::npos);
}

TEST_CASE("a page token made for another member is rejected",
          "[page_token]") {
  auto decoded = DecodePageToken("bob", EncodePageToken("alice", 42));
  REQUIRE(decoded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(decoded.status().message(), "page_token"));
}

TEST_CASE("a page token with an altered sequence is rejected",
          "[page_token]") {
  std::string raw;
  REQUIRE(absl::WebSafeBase64Unescape(EncodePageToken("alice", 42), &raw));
  REQUIRE(raw.size() == 17);
  raw[8] ^= 0x01;  // The sequence's last byte: 42 -> 43.
  auto decoded = DecodePageToken("alice", absl::WebSafeBase64Escape(raw));
  REQUIRE(decoded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(decoded.status().message(), "page_token"));
}

TEST_CASE("garbage, truncated and wrong-version tokens are rejected",
          "[page_token]") {
  std::string raw;
  REQUIRE(absl::WebSafeBase64Unescape(EncodePageToken("alice", 42), &raw));
  std::string wrong_version = raw;
  wrong_version[0] = 2;
  for (const std::string& token :
       {std::string("not a token!"), std::string(""), std::string("AAAA"),
        absl::WebSafeBase64Escape(raw.substr(0, 16)),
        absl::WebSafeBase64Escape(raw + "x"),
        absl::WebSafeBase64Escape(wrong_version)}) {
    INFO("token: " << token);
    auto decoded = DecodePageToken("alice", token);
    REQUIRE(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(decoded.status().message(), "page_token"));
  }
}

}  // namespace
}  // namespace loyalty
