// Key encodings (ledger/common/keys.h), the SHA-256 helpers of the hash chain
// (ledger/common/hashing.h) and currency digits (ledger/currency.h): the byte-level
// contracts the store and the verifier rely on.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ledger/common/currency.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {
namespace {

TEST_CASE("big-endian sequence keys sort in numeric order", "[keys]") {
  std::vector<uint64_t> sequences = {0, 1, 2, 255, 256, 65'535, 65'536,
                                     1ull << 32, (1ull << 56) + 1,
                                     std::numeric_limits<uint64_t>::max()};
  std::vector<std::string> keys;
  for (uint64_t s : sequences) keys.push_back(EntryKey(s));
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  for (size_t i = 0; i < sequences.size(); ++i) {
    CHECK(keys[i].size() == 8);
    CHECK(DecodeBigEndian64(keys[i]) == sequences[i]);
  }
  CHECK(EncodeBigEndian64(0x0102030405060708ull) ==
        std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
}

TEST_CASE("decoding a sequence needs exactly eight bytes", "[keys]") {
  CHECK_FALSE(DecodeBigEndian64("").has_value());
  CHECK_FALSE(DecodeBigEndian64("1234567").has_value());
  CHECK_FALSE(DecodeBigEndian64("123456789").has_value());
}

TEST_CASE("a member's statement keys lie between its bounds and no other "
          "member's do",
          "[keys]") {
  // "m1" is a prefix of "m10": the 0x00 separator keeps them apart.
  const std::string lower = MemberEntriesLower("m1");
  const std::string upper = MemberEntriesUpper("m1");
  for (uint64_t s : std::vector<uint64_t>{1, 2, 300, std::numeric_limits<uint64_t>::max()}) {
    std::string key = MemberEntryKey("m1", s);
    CHECK(key >= lower);
    CHECK(key < upper);
    CHECK(SequenceOfMemberEntryKey(key) == s);
    std::string other = MemberEntryKey("m10", s);
    CHECK_FALSE((other >= lower && other < upper));
    std::string shorter = MemberEntryKey("m", s);
    CHECK_FALSE((shorter >= lower && shorter < upper));
  }
  CHECK(MemberEntryKey("m1", 2) < MemberEntryKey("m1", 10));
}

TEST_CASE("a malformed statement key has no sequence", "[keys]") {
  CHECK_FALSE(SequenceOfMemberEntryKey("short").has_value());
  // Nine bytes but the separator is not 0x00.
  CHECK_FALSE(SequenceOfMemberEntryKey(std::string("x12345678")).has_value());
}

TEST_CASE("request keys are scoped by principal", "[keys]") {
  CHECK(RequestKey("pos-1", "r1") != RequestKey("pos-2", "r1"));
  CHECK(RequestKey("pos-1", "r1") == std::string("pos-1\0r1", 8));
  CHECK(OrderKey("alice", "o1") == std::string("alice\0o1", 8));
  CHECK(IdentifierKey(v1::IDENTIFIER_KIND_CARD_NUMBER, "1234") !=
        IdentifierKey(v1::IDENTIFIER_KIND_APP_USER_ID, "1234"));
}

TEST_CASE("sha-256 matches the FIPS 180-2 test vector", "[hashing]") {
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(GenesisHash() == std::string(32, '\0'));
  CHECK(HexEncode(std::string("\x00\xff\x10", 3)) == "00ff10");
}

TEST_CASE("a sealed entry's hash chains its body to the previous hash",
          "[hashing]") {
  v1::LedgerEntry entry;
  entry.set_sequence(7);
  entry.set_member_id("alice");
  entry.set_kind(v1::ENTRY_KIND_EARN);
  entry.set_points_delta(129);
  entry.set_prev_hash(GenesisHash());
  v1::LedgerEntry sealed = entry;
  const std::string stored_bytes = SealEntry(&sealed);
  REQUIRE(sealed.hash().size() == kHashBytes);

  storage::v1::StoredEntry stored;
  REQUIRE(stored.ParseFromString(stored_bytes));
  CHECK(stored.hash() == sealed.hash());
  CHECK(stored.body() == entry.SerializeAsString());  // Body has no hash.
  CHECK(ChainHash(GenesisHash(), stored.body()) == stored.hash());
  CHECK(ChainHash(std::string(32, '\x01'), stored.body()) != stored.hash());

  auto unsealed = UnsealEntry(stored_bytes);
  INFO(unsealed.status().ToString());
  REQUIRE(unsealed.ok());
  CHECK(unsealed->SerializeAsString() == sealed.SerializeAsString());

  v1::LedgerEntry more_points = entry;
  more_points.set_points_delta(130);
  SealEntry(&more_points);
  CHECK(more_points.hash() != sealed.hash());
}

TEST_CASE("unsealing bytes that are not a stored entry is data loss",
          "[hashing]") {
  CHECK(UnsealEntry(std::string("\xff\xff\xff", 3)).status().code() ==
        absl::StatusCode::kDataLoss);
  storage::v1::StoredEntry bad_body;
  bad_body.set_body("\xff\xff\xff");
  CHECK(UnsealEntry(bad_body.SerializeAsString()).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("currency digits follow ISO 4217 and reject anything else",
          "[currency]") {
  CHECK(CurrencyMinorDigits("EUR") == 2);
  CHECK(CurrencyMinorDigits("JPY") == 0);
  CHECK(CurrencyMinorDigits("KWD") == 3);
  CHECK_FALSE(CurrencyMinorDigits("eur").has_value());
  CHECK_FALSE(CurrencyMinorDigits("EURO").has_value());
  CHECK_FALSE(CurrencyMinorDigits("XYZ").has_value());
  CHECK_FALSE(CurrencyMinorDigits("").has_value());
}

TEST_CASE("minor amounts format with the currency's digits", "[currency]") {
  CHECK(FormatMinorAmount(1299, "EUR") == "12.99 EUR");
  CHECK(FormatMinorAmount(5, "EUR") == "0.05 EUR");
  CHECK(FormatMinorAmount(-1299, "EUR") == "-12.99 EUR");
  CHECK(FormatMinorAmount(500, "JPY") == "500 JPY");
  CHECK(FormatMinorAmount(1234, "KWD") == "1.234 KWD");
  CHECK(FormatMinorAmount(std::numeric_limits<int64_t>::min(), "EUR") ==
        "-92233720368547758.08 EUR");
}

}  // namespace
}  // namespace loyalty

namespace loyalty {
namespace {

// FIPS 180-2's vectors: the chain's hashes must be SHA-256 itself, not
// merely consistent with themselves, so anyone can verify the chain.
TEST_CASE("Sha256 and ChainHash give the standard SHA-256 digests",
          "[keys][hashing]") {
  CHECK(HexEncode(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The chain hashes the previous hash and the body as one message.
  CHECK(ChainHash("a", "bc") == Sha256("abc"));
  CHECK(ChainHash("", "abc") == Sha256("abc"));
}

}  // namespace
}  // namespace loyalty
