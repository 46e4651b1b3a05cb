#include "ledger/common/keys.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {
constexpr char kSeparator = '\0';
}  // namespace

std::string EncodeBigEndian64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeBigEndian64(absl::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

std::string EntryKey(uint64_t sequence) { return EncodeBigEndian64(sequence); }

std::string MemberKey(absl::string_view member_id) {
  return std::string(member_id);
}

std::string MemberEntryKey(absl::string_view member_id, uint64_t sequence) {
  std::string key = MemberEntriesLower(member_id);
  key += EncodeBigEndian64(sequence);
  return key;
}

std::string MemberEntriesLower(absl::string_view member_id) {
  std::string key(member_id);
  key.push_back(kSeparator);
  return key;
}

std::string MemberEntriesUpper(absl::string_view member_id) {
  std::string key(member_id);
  key.push_back(static_cast<char>(kSeparator + 1));
  return key;
}

std::optional<uint64_t> SequenceOfMemberEntryKey(absl::string_view key) {
  if (key.size() < 9 || key[key.size() - 9] != kSeparator) return std::nullopt;
  return DecodeBigEndian64(key.substr(key.size() - 8));
}

std::string IdentifierKey(loyalty::v1::IdentifierKind kind,
                          absl::string_view value) {
  std::string key(1, static_cast<char>(kind));
  key.append(value.data(), value.size());
  return key;
}

std::string RequestKey(absl::string_view principal,
                       absl::string_view request_id) {
  return absl::StrCat(principal, absl::string_view(&kSeparator, 1),
                      request_id);
}

std::string OrderKey(absl::string_view member_id, absl::string_view order_id) {
  return absl::StrCat(member_id, absl::string_view(&kSeparator, 1), order_id);
}

std::string CouponKey(absl::string_view code) { return std::string(code); }

std::string VoucherKey(absl::string_view code) { return std::string(code); }

std::string VoucherGiftKey(absl::string_view claim_code) {
  return std::string(claim_code);
}

std::string CouponTemplateCountKey(absl::string_view template_id) {
  return std::string(template_id);
}

std::string CouponMemberCountKey(absl::string_view template_id,
                                 absl::string_view member_id) {
  return absl::StrCat(template_id, absl::string_view(&kSeparator, 1),
                      member_id);
}

std::string CouponBatchKey(absl::string_view batch_id) {
  return std::string(batch_id);
}

std::string CouponBearerUsesKey(absl::string_view template_id,
                                absl::string_view member_id) {
  return absl::StrCat(template_id, absl::string_view(&kSeparator, 1),
                      member_id);
}

std::string RewardItemCountKey(absl::string_view item_id) {
  return std::string(item_id);
}

std::string RewardMemberCountKey(absl::string_view item_id,
                                 absl::string_view member_id) {
  return absl::StrCat(item_id, absl::string_view(&kSeparator, 1), member_id);
}

// The wallet shares the statement index's layout.
std::string WalletKey(absl::string_view member_id, uint64_t sequence) {
  return MemberEntryKey(member_id, sequence);
}

std::string WalletLower(absl::string_view member_id) {
  return MemberEntriesLower(member_id);
}

std::string WalletUpper(absl::string_view member_id) {
  return MemberEntriesUpper(member_id);
}

std::string ScheduleKey(int64_t due_ms, absl::string_view member_id) {
  return absl::StrCat(EncodeBigEndian64(static_cast<uint64_t>(due_ms)),
                      member_id);
}

std::string ScheduleUpper(int64_t now_ms) {
  return EncodeBigEndian64(static_cast<uint64_t>(now_ms) + 1);
}

std::optional<ScheduleItem> ParseScheduleKey(absl::string_view key) {
  if (key.size() <= 8) return std::nullopt;
  std::optional<uint64_t> due = DecodeBigEndian64(key.substr(0, 8));
  if (!due.has_value() || *due == 0 ||
      *due > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return ScheduleItem{static_cast<int64_t>(*due), std::string(key.substr(8))};
}

}  // namespace loyalty
