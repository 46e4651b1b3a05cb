// File: tests/ledger/member_test_util.h
//
// What the tests of members across channels share (members_test,
// transfers_test, import_test, merge_test): a program with a phone region,
// expiry and transfer limits, identifier builders, and synchronous wrappers
// of the identity, transfer, import, close and merge commands.
#ifndef LOYALTY_TESTS_LEDGER_MEMBER_TEST_UTIL_H_
#define LOYALTY_TESTS_LEDGER_MEMBER_TEST_UTIL_H_

#include <string>

#include "ledger/common/status_util.h"
#include "ledger_test_util.h"

namespace loyalty::testing {

// Berlin time, German phone numbers, points that expire at the end of the
// 12th month after they were earned, and transfers of at most 500 points
// each and 800 a day per giver.
inline ProgramConfig MembersProgram() {
  ProgramConfig program = TestProgram();
  program.set_time_zone("Europe/Berlin");
  program.set_default_phone_region("DE");
  program.mutable_expiry()->set_months_after_earn(12);
  program.mutable_transfer_rules()->set_per_transfer_max_points(500);
  program.mutable_transfer_rules()->set_per_day_max_points(800);
  return program;
}

inline v1::MemberIdentifier Identifier(v1::IdentifierKind kind,
                                       std::string value) {
  v1::MemberIdentifier identifier;
  identifier.set_kind(kind);
  identifier.set_value(std::move(value));
  return identifier;
}
inline v1::MemberIdentifier Phone(std::string value) {
  return Identifier(v1::IDENTIFIER_KIND_PHONE, std::move(value));
}
inline v1::MemberIdentifier Email(std::string value) {
  return Identifier(v1::IDENTIFIER_KIND_EMAIL, std::move(value));
}
inline v1::MemberIdentifier Card(std::string value) {
  return Identifier(v1::IDENTIFIER_KIND_CARD_NUMBER, std::move(value));
}
inline v1::MemberIdentifier AppUser(std::string value) {
  return Identifier(v1::IDENTIFIER_KIND_APP_USER_ID, std::move(value));
}
inline v1::MemberIdentifier Partner(std::string value) {
  return Identifier(v1::IDENTIFIER_KIND_PARTNER_ACCOUNT, std::move(value));
}

template <typename T>
v1::ErrorReason ReasonOfResult(const absl::StatusOr<T>& result) {
  return ReasonOf(result.status());
}

// Submits the command `Spec` and waits for its answer.
template <typename Spec>
absl::StatusOr<typename Spec::Response> CallLedger(
    Ledger& ledger, const Caller& caller, typename Spec::Request request) {
  auto pending = MakePending<typename Spec::Response>();
  ledger.Submit<Spec>(caller, std::move(request), std::move(pending.done));
  return pending.result.get();
}

inline absl::StatusOr<v1::LinkIdentifierResponse> Link(
    Ledger& ledger, std::string request_id, std::string member_id,
    v1::MemberIdentifier identifier) {
  v1::LinkIdentifierRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  *request.mutable_identifier() = std::move(identifier);
  return CallLedger<LinkIdentifierCommand>(ledger, kApp, std::move(request));
}

inline absl::StatusOr<v1::UnlinkIdentifierResponse> Unlink(
    Ledger& ledger, std::string request_id, std::string member_id,
    v1::MemberIdentifier identifier) {
  v1::UnlinkIdentifierRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  *request.mutable_identifier() = std::move(identifier);
  return CallLedger<UnlinkIdentifierCommand>(ledger, kApp,
                    std::move(request));
}

inline v1::TransferPointsRequest TransferRequest(std::string request_id,
                                                 std::string from_member_id,
                                                 std::string to_member_id,
                                                 int64_t points) {
  v1::TransferPointsRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_from_member_id(std::move(from_member_id));
  request.set_to_member_id(std::move(to_member_id));
  request.set_points(points);
  return request;
}

inline absl::StatusOr<v1::TransferPointsResponse> Transfer(
    Ledger& ledger, v1::TransferPointsRequest request) {
  return CallLedger<TransferPointsCommand>(ledger, kApp, std::move(request));
}

inline v1::ImportMemberRequest ImportRow(std::string request_id,
                                         std::string card_number,
                                         int64_t opening_points,
                                         std::string phone = "",
                                         std::string earned_on = "") {
  v1::ImportMemberRequest request;
  request.mutable_context()->set_request_id(std::move(request_id));
  request.mutable_context()->set_channel(v1::CHANNEL_ADMIN);
  request.set_card_number(std::move(card_number));
  request.set_phone(std::move(phone));
  request.set_opening_points(opening_points);
  request.set_earned_on(std::move(earned_on));
  return request;
}

inline absl::StatusOr<v1::ImportMemberResponse> Import(
    Ledger& ledger, v1::ImportMemberRequest request, bool dry_run = false) {
  auto pending = MakePending<v1::ImportMemberResponse>();
  ledger.Submit<ImportMemberCommand>(kAdmin, std::move(request),
                                     std::move(pending.done),
                                     SubmitOptions{.dry_run = dry_run});
  return pending.result.get();
}

inline v1::CloseMemberRequest CloseRequest(std::string request_id,
                                           std::string member_id,
                                           bool erase_personal_data) {
  v1::CloseMemberRequest request;
  request.mutable_context()->set_request_id(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_reason_code("MEMBER_REQUEST");
  request.set_operator_id("support.jane");
  request.set_erase_personal_data(erase_personal_data);
  return request;
}

inline absl::StatusOr<v1::CloseMemberResponse> Close(
    Ledger& ledger, v1::CloseMemberRequest request) {
  return CallLedger<CloseMemberCommand>(ledger, kAdmin, std::move(request));
}

inline v1::MergeMembersRequest MergeRequest(std::string request_id,
                                           std::string source_member_id,
                                           std::string target_member_id) {
  v1::MergeMembersRequest request;
  request.mutable_context()->set_request_id(std::move(request_id));
  request.set_source_member_id(std::move(source_member_id));
  request.set_target_member_id(std::move(target_member_id));
  request.set_reason_code("SAME_PERSON");
  request.set_operator_id("support.jane");
  return request;
}

inline absl::StatusOr<v1::MergeMembersResponse> Merge(
    Ledger& ledger, v1::MergeMembersRequest request) {
  return CallLedger<MergeMembersCommand>(ledger, kAdmin, std::move(request));
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_LEDGER_MEMBER_TEST_UTIL_H_
