// File: clients/loyaltyctl/import_sender.cc

#include "clients/loyaltyctl/import_sender.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/loyaltyctl/check.h"
#include "loyalty/client/call_status.h"

namespace loyalty::ctl {
namespace {

// The reason of a failed call, by name when the server sent its number.
std::string ReasonOf(const absl::Status& status) {
  const std::optional<std::string> text = client::ReasonTextOf(status);
  if (!text.has_value()) return "";
  int number = 0;
  if (absl::SimpleAtoi(*text, &number) &&
      loyalty::v1::ErrorReason_IsValid(number)) {
    return loyalty::v1::ErrorReason_Name(number);
  }
  return *text;
}

}  // namespace

std::string ChunkLines(const ImportChunk& chunk) {
  if (chunk.rows.empty()) return "no lines";
  if (chunk.rows.size() == 1) return absl::StrCat("line ", chunk.rows[0].line);
  return absl::StrCat("lines ", chunk.rows.front().line, "..",
                      chunk.rows.back().line);
}

ImportSender::ImportSender(const loyalty::client::Client& client, int in_flight,
                           ProgressReporter* progress, OnAnswer on_answer)
    : client_(client),
      in_flight_max_(static_cast<size_t>(std::max(in_flight, 1))),
      progress_(progress),
      on_answer_(std::move(on_answer)) {}

ImportSender::~ImportSender() { Finish(); }

CallAnswer ImportSender::Call(const loyalty::v1::ImportMembersRequest& request,
                              absl::string_view lines) const {
  CallAnswer answer;
  answer.attempts = 1;
  loyalty::client::CallOptions call;
  call.on_retry = [&](const loyalty::client::RetryNotice& notice) {
    answer.attempts = notice.attempt_next;
    progress_->Note(absl::StrFormat(
        "loyaltyctl: import: %s: %s: %s; sending them again in %.2f s "
        "(attempt %d of %d)",
        lines, client::StatusCodeName(notice.failure.code()),
        notice.failure.message(), static_cast<double>(notice.pause_ms) / 1000,
        notice.attempt_next, notice.attempts_max));
  };
  absl::StatusOr<loyalty::v1::ImportMembersResponse> response =
      client_.ImportMembers(request, call);
  if (response.ok()) {
    answer.response = *std::move(response);
  } else {
    answer.status = response.status();
    answer.reason = ReasonOf(answer.status);
  }
  return answer;
}

void ImportSender::HandleOldest() {
  LOYALTYCTL_CHECK(!in_flight_.empty());
  InFlight& oldest = in_flight_.front();
  CallAnswer answer = oldest.answer.get();
  if (!on_answer_(oldest.chunk, answer)) stopped_ = true;
  in_flight_.pop_front();
}

bool ImportSender::Send(ImportChunk chunk) {
  while (!stopped_ && in_flight_.size() >= in_flight_max_) HandleOldest();
  if (stopped_) return false;
  // A deque keeps its elements in place as others are added and removed,
  // so the call's thread may read the request where it is.
  in_flight_.push_back(InFlight{std::move(chunk), {}});
  InFlight& sent = in_flight_.back();
  sent.answer = std::async(
      std::launch::async,
      [this, request = &sent.chunk.request, lines = ChunkLines(sent.chunk)] {
        return Call(*request, lines);
      });
  return true;
}

bool ImportSender::Finish() {
  while (!in_flight_.empty()) HandleOldest();
  return !stopped_;
}

}  // namespace loyalty::ctl
