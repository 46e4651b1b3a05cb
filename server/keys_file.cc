#include "server/keys_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "ledger/common/status_util.h"
#include "ledger/common/text_format_errors.h"
#include "ledger/common/validation.h"

namespace loyalty {
namespace {

using loyalty::v1::ApiKey;
using loyalty::v1::KeysFile;
using loyalty::v1::Role;

constexpr size_t kStoreIdLengthMax = 64;
constexpr size_t kPartnerIdLengthMax = 32;

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        !(c >= 'a' && c <= 'f')) {
      return false;
    }
  }
  return true;
}

bool IsPartnerIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

// The role's scope fields: present for the role that has them, absent for
// every other.
absl::Status ValidateScope(const ApiKey& key, const std::string& path) {
  const bool pos = key.role() == loyalty::v1::ROLE_POS;
  const bool partner = key.role() == loyalty::v1::ROLE_PARTNER;
  if (!pos && (key.store_ids_size() > 0 || key.all_stores())) {
    return InvalidField(path + (key.all_stores() ? ".all_stores" : ".store_ids"),
                        absl::StrCat("only ROLE_POS keys have stores; this key "
                                     "is ",
                                     RoleName(key.role())));
  }
  if (pos && key.all_stores() && key.store_ids_size() > 0) {
    return InvalidField(path + ".store_ids",
                        "list stores or set all_stores, not both");
  }
  if (pos && !key.all_stores() && key.store_ids_size() == 0) {
    return InvalidField(path + ".store_ids",
                        "a ROLE_POS key needs its stores (or all_stores: true)");
  }
  for (int i = 0; i < key.store_ids_size(); ++i) {
    LEDGER_RETURN_IF_ERROR(ValidateToken(
        key.store_ids(i), absl::StrCat(path, ".store_ids[", i, "]"),
        kStoreIdLengthMax, /*required=*/true));
  }
  if (!partner && !key.partner_id().empty()) {
    return InvalidField(path + ".partner_id",
                        absl::StrCat("only ROLE_PARTNER keys have a partner; "
                                     "this key is ",
                                     RoleName(key.role())));
  }
  if (partner) {
    const std::string& id = key.partner_id();
    if (id.empty() || id.size() > kPartnerIdLengthMax ||
        !std::all_of(id.begin(), id.end(), IsPartnerIdChar)) {
      return InvalidField(
          path + ".partner_id",
          absl::StrCat("a ROLE_PARTNER key needs its partner id, 1..",
                       kPartnerIdLengthMax,
                       " of [A-Za-z0-9._-] (the prefix of its members' "
                       "partner accounts, e.g. \"airline\")"));
    }
  }
  return absl::OkStatus();
}

// A subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it
// after "subject=", which is how gRPC reports a client certificate's.
absl::Status ValidateCertSubject(absl::string_view subject,
                                 const std::string& field) {
  if (subject.empty() || subject.size() > kCertSubjectLengthMax) {
    return InvalidField(field, absl::StrCat("must be 1..", kCertSubjectLengthMax,
                                            " characters, got ",
                                            subject.size()));
  }
  // RFC 2253 output escapes everything beyond printable ASCII.
  for (char c : subject) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidField(field,
                          "must be printable ASCII, as RFC 2253 prints a "
                          "subject");
    }
  }
  // Attribute types never end in a space: "O = Retailer, CN = till-12" is
  // openssl's default print, in the other order.
  const size_t equals = subject.find('=');
  if (absl::StartsWith(subject, "subject=") || absl::StartsWith(subject, "/") ||
      equals == absl::string_view::npos || equals == 0 ||
      subject[equals - 1] == ' ') {
    return InvalidField(
        field, absl::StrCat("\"", subject,
                            "\" is not an RFC 2253 subject like "
                            "\"CN=till-12,O=Retailer\" (`openssl x509 -noout "
                            "-subject -nameopt RFC2253 -in cert.pem` prints "
                            "it after \"subject=\")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateKey(const ApiKey& key, const std::string& path) {
  LEDGER_RETURN_IF_ERROR(ValidateId(key.principal(), path + ".principal"));
  switch (key.credential_case()) {
    case ApiKey::kKeySha256Hex:
      if (key.key_sha256_hex().size() != 64 ||
          !IsLowerHex(key.key_sha256_hex())) {
        return InvalidField(path + ".key_sha256_hex",
                            "must be 64 lower-case hex digits (printf %s "
                            "\"$KEY\" | sha256sum)");
      }
      break;
    case ApiKey::kClientCertSubject:
      LEDGER_RETURN_IF_ERROR(ValidateCertSubject(
          key.client_cert_subject(), path + ".client_cert_subject"));
      break;
    default:
      return InvalidField(path,
                          "needs key_sha256_hex (an API key) or "
                          "client_cert_subject (a client certificate)");
  }
  if (key.role() == loyalty::v1::ROLE_UNSPECIFIED ||
      !loyalty::v1::Role_IsValid(key.role())) {
    return InvalidField(path + ".role",
                        "must be ROLE_POS, ROLE_APP, ROLE_PARTNER, ROLE_ADMIN "
                        "or ROLE_AUDITOR");
  }
  return ValidateScope(key, path);
}

absl::StatusOr<RateLimitSpec> ValidateRateLimit(
    const loyalty::v1::RateLimit& limit, const std::string& path) {
  if (limit.role() == loyalty::v1::ROLE_UNSPECIFIED ||
      !loyalty::v1::Role_IsValid(limit.role())) {
    return InvalidField(path + ".role", "must name the role it limits");
  }
  if (limit.calls_per_second() < 1 ||
      limit.calls_per_second() > RateLimitSpec::kCallsPerSecondMax) {
    return InvalidField(
        path + ".calls_per_second",
        absl::StrCat("must be 1..", RateLimitSpec::kCallsPerSecondMax,
                     ", got ", limit.calls_per_second()));
  }
  RateLimitSpec spec{.calls_per_second = limit.calls_per_second(),
                     .burst_calls = limit.burst_calls() == 0
                                        ? limit.calls_per_second()
                                        : limit.burst_calls()};
  if (spec.burst_calls < spec.calls_per_second ||
      spec.burst_calls > RateLimitSpec::kBurstCallsMax) {
    return InvalidField(
        path + ".burst_calls",
        absl::StrCat("must be 0 (calls_per_second) or calls_per_second..",
                     RateLimitSpec::kBurstCallsMax, ", got ",
                     limit.burst_calls()));
  }
  return spec;
}

std::shared_ptr<const Principal> PrincipalOf(
    const ApiKey& key,
    const absl::flat_hash_map<Role, RateLimitSpec>& rate_limits_by_role) {
  auto principal = std::make_shared<Principal>();
  if (auto limit = rate_limits_by_role.find(key.role());
      limit != rate_limits_by_role.end()) {
    principal->rate_limit = limit->second;
  }
  principal->name = key.principal();
  principal->role = key.role();
  principal->store_ids.insert(key.store_ids().begin(), key.store_ids().end());
  principal->all_stores = key.all_stores();
  principal->partner_id = key.partner_id();
  return principal;
}

bool SameGrant(const Principal& a, const Principal& b) {
  return a.role == b.role && a.store_ids == b.store_ids &&
         a.all_stores == b.all_stores && a.partner_id == b.partner_id;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case loyalty::v1::ROLE_POS:
      return "ROLE_POS";
    case loyalty::v1::ROLE_APP:
      return "ROLE_APP";
    case loyalty::v1::ROLE_PARTNER:
      return "ROLE_PARTNER";
    case loyalty::v1::ROLE_ADMIN:
      return "ROLE_ADMIN";
    case loyalty::v1::ROLE_AUDITOR:
      return "ROLE_AUDITOR";
    default:
      return "ROLE_UNSPECIFIED";
  }
}

absl::StatusOr<KeyRing> ParseKeysFile(absl::string_view text,
                                      absl::string_view source_name) {
  KeysFile file;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &file)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", errors.first_error()));
  }
  auto refuse = [&](const absl::Status& problem) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", problem.message()));
  };
  if (file.keys().empty()) {
    return refuse(InvalidField("keys", "the file lists no key"));
  }
  KeyRing ring;
  for (int i = 0; i < file.rate_limits_size(); ++i) {
    const loyalty::v1::RateLimit& limit = file.rate_limits(i);
    const std::string path = absl::StrCat("rate_limits[", i, "]");
    absl::StatusOr<RateLimitSpec> spec = ValidateRateLimit(limit, path);
    if (!spec.ok()) return refuse(spec.status());
    if (!ring.rate_limits_by_role.emplace(limit.role(), *spec).second) {
      return refuse(InvalidField(
          path + ".role", absl::StrCat(RoleName(limit.role()),
                                       " has an earlier rate limit")));
    }
  }
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>>
      by_principal;
  for (int i = 0; i < file.keys_size(); ++i) {
    const ApiKey& key = file.keys(i);
    const std::string path = absl::StrCat("keys[", i, "]");
    absl::Status valid = ValidateKey(key, path);
    if (!valid.ok()) return refuse(valid);
    std::shared_ptr<const Principal> principal =
        PrincipalOf(key, ring.rate_limits_by_role);
    auto [earlier, first] = by_principal.emplace(key.principal(), principal);
    if (!first) {
      // A rollover: the new key joins the old one's principal, which must
      // keep its grant (request ids and entries belong to the principal).
      if (!SameGrant(*earlier->second, *principal)) {
        return refuse(InvalidField(
            path, absl::StrCat("principal \"", key.principal(),
                               "\" has an earlier key with another role or "
                               "scope; keys of one principal must agree")));
      }
      principal = earlier->second;
    }
    if (key.has_client_cert_subject()) {
      if (!ring.principals_by_cert_subject
               .emplace(key.client_cert_subject(), principal)
               .second) {
        return refuse(
            InvalidField(path + ".client_cert_subject",
                         "the same certificate subject is listed twice"));
      }
    } else if (!ring.principals_by_key_hash
                    .emplace(key.key_sha256_hex(), principal)
                    .second) {
      return refuse(InvalidField(path + ".key_sha256_hex",
                                 "the same key is listed twice"));
    }
  }
  return ring;
}

absl::StatusOr<std::string> ReadKeysFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::StatusOr<KeyRing> LoadKeysFile(const std::string& path) {
  LEDGER_ASSIGN_OR_RETURN(std::string content, ReadKeysFileBytes(path));
  return ParseKeysFile(content, path);
}

}  // namespace loyalty
