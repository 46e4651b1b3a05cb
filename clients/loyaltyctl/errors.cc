// File: clients/loyaltyctl/errors.cc

#include "clients/loyaltyctl/errors.h"

#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "loyalty/client/call_status.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {
namespace {

constexpr absl::string_view kReasonEnumPrefix = "ERROR_REASON_";

// Keeps the report on one line: transport errors can span several.
std::string OneLine(absl::string_view text) {
  if (text.empty()) return "(no message)";
  return absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

}  // namespace

ExitCode ReportBadInput(const absl::Status& status) {
  std::cerr << "loyaltyctl: " << OneLine(status.message()) << '\n';
  return ExitCode::kBadInput;
}

std::string ReasonLabel(const absl::Status& status) {
  const std::optional<std::string> text = client::ReasonTextOf(status);
  if (!text.has_value()) return "";
  const loyalty::v1::ErrorReason reason = client::ReasonOf(status);
  // A reason this build does not know is shown as sent.
  if (reason == loyalty::v1::ERROR_REASON_UNSPECIFIED) return OneLine(*text);
  return std::string(absl::StripPrefix(loyalty::v1::ErrorReason_Name(reason),
                                       kReasonEnumPrefix));
}

ExitCode ReportRpcFailure(const absl::Status& status,
                          absl::string_view retry_request_id) {
  const bool transient = client::IsTransientFailure(status);
  std::string line =
      absl::StrCat("loyaltyctl: ", client::StatusCodeName(status.code()), ": ",
                   OneLine(status.message()));
  const std::string reason = ReasonLabel(status);
  if (!reason.empty()) absl::StrAppend(&line, " (reason: ", reason, ")");
  if (transient && !retry_request_id.empty()) {
    absl::StrAppend(&line, "; retry with --request-id ", retry_request_id);
  }
  std::cerr << line << '\n';
  return transient ? ExitCode::kTransient : ExitCode::kRejected;
}

ExitCode ReportBadResponse(absl::string_view problem) {
  std::cerr << "loyaltyctl: " << OneLine(problem) << '\n';
  return ExitCode::kRejected;
}

}  // namespace loyalty::ctl
