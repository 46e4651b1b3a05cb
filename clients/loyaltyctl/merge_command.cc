// File: clients/loyaltyctl/merge_command.cc
//
// `loyaltyctl merge SOURCE TARGET`: two members turn out to be one person
// (AdminService.MergeMembers). Everything SOURCE has moves to TARGET in one
// MERGE_OUT / MERGE_IN pair, with the reason and the operator on record, and
// SOURCE stays an alias of TARGET for good. Prints the entries (and a TIER
// entry when the target's tier rose) and the target as merged.
//
// A merge cannot be undone, so unless --yes it first reads both members,
// shows them and what the target would have after (merge_preview.h), and
// asks on the terminal. Without a terminal and without --yes nothing is
// sent. The reads also catch a merge that is done already: GetMember of an
// alias answers with the member it resolves to.
//
// Request ids are generated as for every write and announced before the
// merge is sent. A merge whose answer was lost (a timeout, a crash) is
// retried with the same --request-id: the server answers with the first
// outcome (replayed) and writes nothing. A retry without it cannot merge
// twice either, as an alias can never be a merge's source again.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/confirmation.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/merge_preview.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/statement.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AdminService;
using loyalty::v1::LedgerEntry;
using loyalty::v1::LoyaltyService;
using loyalty::v1::Member;
using loyalty::v1::MergeMembersRequest;
using loyalty::v1::MergeMembersResponse;

// MergeMembersRequest.reason_code: 1..32 of [A-Z0-9_] (loyalty_service.proto).
// Checked here too because a merge asks first: a malformed code refused
// only after the operator said yes would waste the question.
constexpr size_t kReasonCodeLengthMax = 32;

struct MergeFlags {
  ContextFlags context;
  std::string source_member_id;
  std::string target_member_id;
  std::string reason_code;
  std::string operator_id;
  std::string note;
  // Merge without reading, showing and asking.
  bool yes = false;
};

CLI::Validator ReasonCodeCheck() {
  auto check = [](const std::string& text) -> std::string {
    const bool shaped =
        !text.empty() && text.size() <= kReasonCodeLengthMax &&
        std::all_of(text.begin(), text.end(), [](char c) {
          return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_';
        });
    if (shaped) return "";
    return absl::StrCat("\"", text, "\" is not a reason code: use 1..",
                        kReasonCodeLengthMax,
                        " of A-Z, 0-9 and _, e.g. SAME_PERSON");
  };
  return CLI::Validator(check, /*validator_desc=*/"", "ReasonCode");
}

absl::StatusOr<MergeMembersRequest> BuildMergeRequest(const MergeFlags& flags) {
  if (flags.source_member_id == flags.target_member_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("merge: SOURCE and TARGET are both \"",
                     flags.source_member_id, "\"; name two different members"));
  }
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildAdminRequestContext(flags.context);
  if (!context.ok()) return context.status();
  MergeMembersRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_source_member_id(flags.source_member_id);
  request.set_target_member_id(flags.target_member_id);
  request.set_reason_code(flags.reason_code);
  request.set_operator_id(flags.operator_id);
  request.set_note(flags.note);
  return request;
}

// A refusal found in the reads, before the merge was sent: one line, with
// the reason the server would have given, and the exit code of a server
// refusal, since sending it would change nothing.
ExitCode ReportNothingToMerge(absl::string_view problem) {
  std::cerr << "loyaltyctl: merge: " << problem << " (reason: MEMBER_MERGED)\n";
  return ExitCode::kRejected;
}

ExitCode ReadMember(const Connection& connection, const std::string& member_id,
                    Member* member) {
  loyalty::v1::GetMemberRequest request;
  request.set_member_id(member_id);
  return connection.Call(&LoyaltyService::Stub::GetMember, request, member,
                         /*retry_request_id=*/"");
}

// The source is an alias already, so this merge can write nothing. With
// the operator's --request-id it may be the retry of the merge that made
// the alias: it is sent unasked, and the server answers with that merge's
// first outcome, or refuses. Without one it is refused here.
ExitCode SourceIsAlias(const MergeFlags& flags, const Member& resolved) {
  const std::string already =
      absl::StrCat("member \"", flags.source_member_id, "\" was merged into \"",
                   resolved.member_id(), "\" already");
  if (!flags.context.request_id.empty()) {
    std::cerr << "merge: " << already
              << "; asking for the first outcome of request id "
              << flags.context.request_id << " (nothing more can be merged)\n";
    return ExitCode::kOk;
  }
  return ReportNothingToMerge(
      absl::StrCat(already,
                   "; nothing to merge (to see that merge's outcome, re-run it "
                   "with its --request-id)"));
}

// Reads both members, shows them and asks. Returns kOk to send the merge,
// else the exit code of the failure, already reported.
ExitCode ConfirmMerge(const Connection& connection, const MergeFlags& flags) {
  Member source;
  ExitCode read = ReadMember(connection, flags.source_member_id, &source);
  if (read != ExitCode::kOk) return read;
  Member target;
  read = ReadMember(connection, flags.target_member_id, &target);
  if (read != ExitCode::kOk) return read;
  if (source.member_id() != flags.source_member_id) {
    return SourceIsAlias(flags, source);
  }
  if (target.member_id() == source.member_id()) {
    return ReportNothingToMerge(absl::StrCat(
        "TARGET \"", flags.target_member_id, "\" was merged into \"",
        source.member_id(), "\", the source: they are one member already"));
  }
  if (target.member_id() != flags.target_member_id) {
    // The server merges into the member an alias target resolves to.
    std::cerr << "note: TARGET \"" << flags.target_member_id
              << "\" was merged into \"" << target.member_id()
              << "\"; the merge goes there\n";
  }
  PrintMergePreview(std::cerr, source, target);
  const absl::Status agreed =
      AskOperator(std::cin, std::cerr,
                  absl::StrCat("Merge ", source.member_id(), " into ",
                               target.member_id(), "?"),
                  "not merged");
  if (!agreed.ok()) return ReportBadInput(agreed);
  return ExitCode::kOk;
}

// The answer must start with the MERGE_OUT / MERGE_IN pair PrintMerged
// describes.
absl::Status CheckMergeResponse(const MergeMembersResponse& response) {
  if (response.entries_size() < 2 ||
      response.entries(0).kind() != loyalty::v1::ENTRY_KIND_MERGE_OUT ||
      response.entries(1).kind() != loyalty::v1::ENTRY_KIND_MERGE_IN) {
    return absl::InternalError(
        "merge: the answer does not start with a MERGE_OUT and a MERGE_IN "
        "entry");
  }
  return absl::OkStatus();
}

// "1200 points available, 300 pending, 50 held": what the MERGE_IN brought.
// Available is negative when the source had a debt.
std::string MovedLabel(const LedgerEntry& merge_in) {
  return absl::StrCat(FormatPoints(merge_in.points_delta()), " available, ",
                      merge_in.merged_pending_points(), " pending, ",
                      merge_in.merged_held_points(), " held");
}

// REQUIRES: CheckMergeResponse(response) is OK.
void PrintMerged(const MergeMembersResponse& response) {
  PrintReplayedNote(response.replayed());
  const LedgerEntry& merge_out = response.entries(0);
  const LedgerEntry& merge_in = response.entries(1);
  std::vector<Field> fields = {
      {"merged", merge_out.member_id()},
      {"into", merge_in.member_id()},
      {"moved", MovedLabel(merge_in)},
      {"identifiers", IdentifiersLabel(merge_in.identifiers())},
      {"reason", merge_in.reason_code()},
      {"operator", merge_in.operator_id()},
  };
  if (!merge_in.note().empty()) fields.push_back({"note", merge_in.note()});
  PrintFields(std::cout, fields);
  std::cout << '\n';
  loyalty::v1::ListEntriesResponse entries;
  *entries.mutable_entries() = response.entries();
  PrintStatement(entries);
  std::cout << '\n';
  PrintMember(response.member());
}

ExitCode RunMerge(const GlobalFlags& global, const MergeFlags& flags) {
  absl::StatusOr<MergeMembersRequest> request = BuildMergeRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  if (!flags.yes) {
    const absl::Status can_answer = CheckOperatorCanAnswer(
        absl::StrCat("merge: merging member ", flags.source_member_id, " into ",
                     flags.target_member_id, " cannot be undone"));
    if (!can_answer.ok()) return ReportBadInput(can_answer);
  }

  const Connection connection(global);
  if (!flags.yes) {
    const ExitCode confirmed = ConfirmMerge(connection, flags);
    if (confirmed != ExitCode::kOk) return confirmed;
  }
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);
  MergeMembersResponse response;
  const ExitCode sent = connection.Call(&AdminService::Stub::MergeMembers,
                                        *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  const absl::Status usable = CheckMergeResponse(response);
  if (!usable.ok()) return ReportBadResponse(usable.message());
  return PrintResponse(global, response, &PrintMerged);
}

}  // namespace

Command DefineMergeCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<MergeFlags>();
  CLI::App* command = app->add_subcommand(
      "merge",
      "Merge two members who are one person: everything SOURCE has moves to "
      "TARGET and SOURCE becomes an alias of it; shows both and asks first "
      "unless --yes (AdminService.MergeMembers)");
  command
      ->add_option("SOURCE", flags->source_member_id,
                   "Member to merge; it becomes an alias of TARGET")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("TARGET", flags->target_member_id,
                   "Member that keeps its id and receives everything")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--reason", flags->reason_code,
                   "Reason code, 1..32 of A-Z, 0-9 and _, e.g. SAME_PERSON")
      ->type_name("CODE")
      ->required()
      ->check(ReasonCodeCheck());
  command
      ->add_option("--operator", flags->operator_id,
                   "The person merging the members")
      ->type_name("NAME")
      ->required()
      ->check(NotEmptyCheck());
  command->add_option("--note", flags->note, "Free-text note for the record")
      ->type_name("TEXT");
  command->add_flag("--yes", flags->yes,
                    "Merge without reading, showing and asking (needed when "
                    "stdin is not a terminal)");
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunMerge(*global, *flags); }};
}

}  // namespace loyalty::ctl
