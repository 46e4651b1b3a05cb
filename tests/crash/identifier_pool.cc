#include "tests/crash/identifier_pool.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::IdentifierKind;
using loyalty::v1::MemberIdentifier;

constexpr absl::string_view kKindPrefix = "IDENTIFIER_KIND_";
// Every pool phone is +886 912 345 and three digits: the index.
constexpr absl::string_view kPhoneDigitsBeforeIndex = "912345";
constexpr absl::string_view kEmailLocalPrefix = "member.";
constexpr absl::string_view kEmailDomain = "@example.com";

int Wrap(int value, int count) { return ((value % count) + count) % count; }

MemberIdentifier Identifier(IdentifierKind kind, std::string value) {
  MemberIdentifier identifier;
  identifier.set_kind(kind);
  identifier.set_value(std::move(value));
  return identifier;
}

std::string KindName(IdentifierKind kind) {
  return std::string(
      absl::StripPrefix(loyalty::v1::IdentifierKind_Name(kind), kKindPrefix));
}

std::optional<int> PhoneIndex(absl::string_view clear) {
  std::string digits;
  for (char c : clear) {
    if (absl::ascii_isdigit(c)) digits.push_back(c);
  }
  if (digits.size() < kPhoneDigitsBeforeIndex.size() + 3) return std::nullopt;
  absl::string_view tail = absl::string_view(digits).substr(
      digits.size() - kPhoneDigitsBeforeIndex.size() - 3);
  int index = 0;
  if (!absl::StartsWith(tail, kPhoneDigitsBeforeIndex) ||
      !absl::SimpleAtoi(tail.substr(kPhoneDigitsBeforeIndex.size()), &index) ||
      index >= kPoolPhones) {
    return std::nullopt;
  }
  return index;
}

std::optional<int> EmailIndex(absl::string_view clear) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(clear));
  absl::string_view rest = email;
  int index = 0;
  if (!absl::ConsumePrefix(&rest, kEmailLocalPrefix) ||
      !absl::ConsumeSuffix(&rest, kEmailDomain) ||
      !absl::SimpleAtoi(rest, &index) || index < 0 || index >= kPoolEmails) {
    return std::nullopt;
  }
  return index;
}

}  // namespace

std::string CardOf(int member_index) {
  return absl::StrFormat("4000%012d", member_index);
}

std::string ImportCard(int cycle, int client, uint64_t counter) {
  return absl::StrFormat("6000%05d%03d%010d", cycle, client, counter);
}

MemberIdentifier PoolPhone(int index, int notation) {
  const std::string k = absl::StrFormat("%03d", Wrap(index, kPoolPhones));
  std::string value;
  switch (Wrap(notation, kPhoneNotations)) {
    case 0:
      value = absl::StrCat("+886912345", k);
      break;
    case 1:
      value = absl::StrCat("+886 912 345 ", k);
      break;
    case 2:
      value = absl::StrCat("+886-912-345-", k);
      break;
    case 3:
      value = absl::StrCat("0912-345-", k);
      break;
    case 4:
      value = absl::StrCat("0912 345 ", k);
      break;
    default:
      value = absl::StrCat("(0912) 345-", k);
      break;
  }
  return Identifier(loyalty::v1::IDENTIFIER_KIND_PHONE, std::move(value));
}

MemberIdentifier PoolEmail(int index, int notation) {
  const std::string lower =
      absl::StrCat(kEmailLocalPrefix, Wrap(index, kPoolEmails), kEmailDomain);
  std::string value;
  switch (Wrap(notation, kEmailNotations)) {
    case 0:
      value = lower;
      break;
    case 1:
      value = absl::StrCat("Member.", Wrap(index, kPoolEmails), "@Example.COM");
      break;
    case 2:
      value = absl::AsciiStrToUpper(lower);
      break;
    default:
      value = absl::StrCat("  ", lower, "\t\n");
      break;
  }
  return Identifier(loyalty::v1::IDENTIFIER_KIND_EMAIL, std::move(value));
}

MemberIdentifier PoolLinkCard(int index) {
  return Identifier(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER,
                    absl::StrFormat("5100%012d", Wrap(index, kPoolLinkCards)));
}

int NotationCount(IdentifierKind kind) {
  switch (kind) {
    case loyalty::v1::IDENTIFIER_KIND_PHONE:
      return kPhoneNotations;
    case loyalty::v1::IDENTIFIER_KIND_EMAIL:
      return kEmailNotations;
    default:
      return 1;
  }
}

std::optional<std::string> IdentifierName(const MemberIdentifier& clear) {
  switch (clear.kind()) {
    case loyalty::v1::IDENTIFIER_KIND_PHONE: {
      std::optional<int> index = PhoneIndex(clear.value());
      if (!index.has_value()) return std::nullopt;
      return absl::StrCat("PHONE:", *index);
    }
    case loyalty::v1::IDENTIFIER_KIND_EMAIL: {
      std::optional<int> index = EmailIndex(clear.value());
      if (!index.has_value()) return std::nullopt;
      return absl::StrCat("EMAIL:", *index);
    }
    default:
      return absl::StrCat(KindName(clear.kind()), ":", clear.value());
  }
}

std::optional<MemberIdentifier> IdentifierOfName(const std::string& name,
                                                 int notation) {
  size_t colon = name.find(':');
  if (colon == std::string::npos) return std::nullopt;
  IdentifierKind kind = loyalty::v1::IDENTIFIER_KIND_UNSPECIFIED;
  if (!loyalty::v1::IdentifierKind_Parse(
          absl::StrCat(kKindPrefix, name.substr(0, colon)), &kind)) {
    return std::nullopt;
  }
  const std::string rest = name.substr(colon + 1);
  int index = 0;
  switch (kind) {
    case loyalty::v1::IDENTIFIER_KIND_PHONE:
      if (!absl::SimpleAtoi(rest, &index)) return std::nullopt;
      return PoolPhone(index, notation);
    case loyalty::v1::IDENTIFIER_KIND_EMAIL:
      if (!absl::SimpleAtoi(rest, &index)) return std::nullopt;
      return PoolEmail(index, notation);
    default:
      return Identifier(kind, rest);
  }
}

}  // namespace loyalty::crash
