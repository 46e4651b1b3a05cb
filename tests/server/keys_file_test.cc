// The API keys file's parser (server/keys_file.h): what loads, and each
// refusal naming its field.
#include <string>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/hashing.h"
#include "server/keys_file.h"

namespace loyalty {
namespace {

std::string Key(const std::string& principal, const std::string& key,
                const std::string& grant) {
  return "keys { principal: \"" + principal + "\" key_sha256_hex: \"" +
         HexEncode(Sha256(key)) + "\" " + grant + " }\n";
}

// Parses `text`, requires INVALID_ARGUMENT, returns the message.
std::string RefusalOf(const std::string& text) {
  absl::StatusOr<KeyRing> ring = ParseKeysFile(text, "keys.textproto");
  REQUIRE(ring.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(ring.status().message());
  CHECK(absl::StartsWith(message, "keys.textproto: "));
  return message;
}

TEST_CASE("a keys file of every role loads, each key with its grant",
          "[keys]") {
  absl::StatusOr<KeyRing> ring = ParseKeysFile(
      Key("till-12", "k1", "role: ROLE_POS store_ids: [\"12\", \"14\"]") +
          Key("gateway", "k2", "role: ROLE_POS all_stores: true") +
          Key("app", "k3", "role: ROLE_APP") +
          Key("airline", "k4", "role: ROLE_PARTNER partner_id: \"airline\"") +
          Key("ops", "k5", "role: ROLE_ADMIN") +
          Key("audit", "k6", "role: ROLE_AUDITOR"),
      "keys.textproto");
  REQUIRE(ring.ok());
  REQUIRE(ring->principals_by_key_hash.size() == 6);
  const Principal& till =
      *ring->principals_by_key_hash.at(HexEncode(Sha256("k1")));
  CHECK(till.name == "till-12");
  CHECK(till.role == loyalty::v1::ROLE_POS);
  CHECK(till.store_ids == absl::flat_hash_set<std::string>{"12", "14"});
  CHECK_FALSE(till.all_stores);
  CHECK(ring->principals_by_key_hash.at(HexEncode(Sha256("k2")))->all_stores);
  CHECK(ring->principals_by_key_hash.at(HexEncode(Sha256("k4")))->partner_id ==
        "airline");
}

TEST_CASE("two keys of one principal share it when they agree, and are "
          "refused when they do not",
          "[keys]") {
  absl::StatusOr<KeyRing> ring =
      ParseKeysFile(Key("till", "old", "role: ROLE_POS store_ids: \"1\"") +
                        Key("till", "new", "role: ROLE_POS store_ids: \"1\""),
                    "keys.textproto");
  REQUIRE(ring.ok());
  CHECK(ring->principals_by_key_hash.at(HexEncode(Sha256("old"))) ==
        ring->principals_by_key_hash.at(HexEncode(Sha256("new"))));
  CHECK(absl::StrContains(
      RefusalOf(Key("till", "old", "role: ROLE_POS store_ids: \"1\"") +
                Key("till", "new", "role: ROLE_POS store_ids: \"2\"")),
      "keys[1]: principal \"till\" has an earlier key with another role"));
  CHECK(absl::StrContains(RefusalOf(Key("a", "same", "role: ROLE_APP") +
                                    Key("b", "same", "role: ROLE_APP")),
                          "keys[1].key_sha256_hex: the same key is listed twice"));
}

TEST_CASE("each problem of a keys file is refused naming its field",
          "[keys]") {
  CHECK(absl::StrContains(RefusalOf(""), "keys: the file lists no key"));
  CHECK(absl::StrContains(RefusalOf("keys { role: ROLE_ADMIN"), "line 1"));
  CHECK(absl::StrContains(RefusalOf("bogus: 1\n"), "bogus"));
  CHECK(absl::StrContains(RefusalOf(Key("a b", "k", "role: ROLE_APP")),
                          "keys[0].principal"));
  CHECK(absl::StrContains(
      RefusalOf("keys { principal: \"a\" key_sha256_hex: \"ABC\" "
                "role: ROLE_APP }"),
      "keys[0].key_sha256_hex: must be 64 lower-case hex digits"));
  CHECK(absl::StrContains(RefusalOf(Key("a", "k", "")), "keys[0].role"));
  CHECK(absl::StrContains(RefusalOf(Key("a", "k", "role: ROLE_POS")),
                          "keys[0].store_ids: a ROLE_POS key needs its stores"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k",
                    "role: ROLE_POS all_stores: true store_ids: \"1\"")),
      "keys[0].store_ids: list stores or set all_stores, not both"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k", "role: ROLE_APP store_ids: \"1\"")),
      "keys[0].store_ids: only ROLE_POS keys have stores"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k", "role: ROLE_ADMIN all_stores: true")),
      "keys[0].all_stores"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k", "role: ROLE_POS store_ids: \"has space\"")),
      "keys[0].store_ids[0]"));
  CHECK(absl::StrContains(RefusalOf(Key("a", "k", "role: ROLE_PARTNER")),
                          "keys[0].partner_id: a ROLE_PARTNER key needs"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k", "role: ROLE_PARTNER partner_id: \"air:line\"")),
      "keys[0].partner_id"));
  CHECK(absl::StrContains(
      RefusalOf(Key("a", "k", "role: ROLE_APP partner_id: \"airline\"")),
      "keys[0].partner_id: only ROLE_PARTNER keys have a partner"));
}

std::string CertEntry(const std::string& principal, const std::string& subject,
                      const std::string& grant) {
  return "keys { principal: \"" + principal + "\" client_cert_subject: \"" +
         subject + "\" " + grant + " }\n";
}

TEST_CASE("a client certificate subject names a principal, sharing it with "
          "the principal's API key",
          "[keys][mtls]") {
  absl::StatusOr<KeyRing> ring = ParseKeysFile(
      CertEntry("till-12", "CN=till-12,O=Retailer",
                "role: ROLE_POS store_ids: \"12\"") +
          Key("till-12", "k1", "role: ROLE_POS store_ids: \"12\"") +
          CertEntry("ops", "CN=ops,OU=Operations,O=Retailer",
                    "role: ROLE_ADMIN"),
      "keys.textproto");
  INFO(ring.status().ToString());
  REQUIRE(ring.ok());
  CHECK(ring->principals_by_cert_subject.size() == 2);
  CHECK(ring->principals_by_key_hash.size() == 1);
  const auto& till = ring->principals_by_cert_subject.at("CN=till-12,O=Retailer");
  CHECK(till->name == "till-12");
  CHECK(till->role == loyalty::v1::ROLE_POS);
  CHECK(till->store_ids == absl::flat_hash_set<std::string>{"12"});
  CHECK(till == ring->principals_by_key_hash.at(HexEncode(Sha256("k1"))));
  CHECK(ring->principals_by_cert_subject.at("CN=ops,OU=Operations,O=Retailer")
            ->role == loyalty::v1::ROLE_ADMIN);
}

TEST_CASE("each problem of a client certificate entry is refused naming its "
          "field",
          "[keys][mtls]") {
  const std::string admin = "role: ROLE_ADMIN";
  CHECK(absl::StrContains(
      RefusalOf("keys { principal: \"a\" role: ROLE_ADMIN }"),
      "keys[0]: needs key_sha256_hex (an API key) or client_cert_subject"));
  // The oneof: a key and a subject in one entry.
  CHECK(absl::StrContains(
      RefusalOf("keys { principal: \"a\" key_sha256_hex: \"" +
                HexEncode(Sha256("k")) +
                "\" client_cert_subject: \"CN=a\" role: ROLE_ADMIN }"),
      "client_cert_subject"));
  CHECK(absl::StrContains(RefusalOf(CertEntry("a", "", admin)),
                          "keys[0].client_cert_subject: must be 1..1024"));
  CHECK(absl::StrContains(
      RefusalOf(CertEntry("a", "CN=" + std::string(1022, 'x'), admin)),
      "keys[0].client_cert_subject: must be 1..1024 characters, got 1025"));
  // What openssl prints by default, or with its "subject=" prefix.
  CHECK(absl::StrContains(
      RefusalOf(CertEntry("a", "subject=CN=a,O=b", admin)),
      "keys[0].client_cert_subject: \"subject=CN=a,O=b\" is not an RFC 2253 "
      "subject"));
  CHECK(absl::StrContains(
      RefusalOf(CertEntry("a", "O = b, CN = a", admin)),
      "keys[0].client_cert_subject: \"O = b, CN = a\" is not an RFC 2253"));
  CHECK(absl::StrContains(RefusalOf(CertEntry("a", "/O=b/CN=a", admin)),
                          "is not an RFC 2253 subject"));
  CHECK(absl::StrContains(RefusalOf(CertEntry("a", "till-12", admin)),
                          "is not an RFC 2253 subject"));
  CHECK(absl::StrContains(RefusalOf(CertEntry("a", "CN=\\x01", admin)),
                          "keys[0].client_cert_subject: must be printable"));
  CHECK(absl::StrContains(RefusalOf(CertEntry("a", "CN=a", admin) +
                                    CertEntry("b", "CN=a", admin)),
                          "keys[1].client_cert_subject: the same certificate "
                          "subject is listed twice"));
  // A certificate entry keeps its principal's grant like a second key.
  CHECK(absl::StrContains(
      RefusalOf(Key("till", "k", "role: ROLE_POS store_ids: \"1\"") +
                CertEntry("till", "CN=till", "role: ROLE_POS store_ids: \"2\"")),
      "keys[1]: principal \"till\" has an earlier key with another role"));
  CHECK(absl::StrContains(
      RefusalOf(CertEntry("till", "CN=till", "role: ROLE_POS")),
      "keys[0].store_ids: a ROLE_POS key needs its stores"));
}

TEST_CASE("rate limits load per role onto its principals, and each "
          "problem is refused naming its field",
          "[keys][limits]") {
  const std::string keys = Key("till", "k1", "role: ROLE_POS all_stores: true") +
                           Key("app", "k2", "role: ROLE_APP");
  absl::StatusOr<KeyRing> ring = ParseKeysFile(
      keys + "rate_limits { role: ROLE_POS calls_per_second: 20 }\n",
      "keys.textproto");
  REQUIRE(ring.ok());
  const Principal& till =
      *ring->principals_by_key_hash.at(HexEncode(Sha256("k1")));
  REQUIRE(till.rate_limit.has_value());
  CHECK(till.rate_limit->calls_per_second == 20);
  CHECK(till.rate_limit->burst_calls == 20);  // 0: the rate.
  CHECK_FALSE(ring->principals_by_key_hash.at(HexEncode(Sha256("k2")))
                  ->rate_limit.has_value());

  CHECK(absl::StrContains(
      RefusalOf(keys + "rate_limits { calls_per_second: 1 }"),
      "rate_limits[0].role"));
  CHECK(absl::StrContains(
      RefusalOf(keys + "rate_limits { role: ROLE_APP }"),
      "rate_limits[0].calls_per_second: must be 1..100000, got 0"));
  CHECK(absl::StrContains(
      RefusalOf(keys +
                "rate_limits { role: ROLE_APP calls_per_second: 100001 }"),
      "rate_limits[0].calls_per_second"));
  CHECK(absl::StrContains(
      RefusalOf(keys + "rate_limits { role: ROLE_APP calls_per_second: 10 "
                       "burst_calls: 5 }"),
      "rate_limits[0].burst_calls"));
  CHECK(absl::StrContains(
      RefusalOf(keys + "rate_limits { role: ROLE_APP calls_per_second: 10 "
                       "burst_calls: 1000001 }"),
      "rate_limits[0].burst_calls"));
  CHECK(absl::StrContains(
      RefusalOf(keys + "rate_limits { role: ROLE_APP calls_per_second: 1 }\n"
                       "rate_limits { role: ROLE_APP calls_per_second: 2 }"),
      "rate_limits[1].role: ROLE_APP has an earlier rate limit"));
}

TEST_CASE("the sample keys file loads", "[keys]") {
  absl::StatusOr<KeyRing> ring =
      LoadKeysFile(LOYALTY_SOURCE_DIR "/deploy/keys.sample.textproto");
  INFO(ring.status().ToString());
  REQUIRE(ring.ok());
  CHECK(ring->principals_by_key_hash.contains(
      HexEncode(Sha256("demo-admin-key"))));
}

}  // namespace
}  // namespace loyalty
