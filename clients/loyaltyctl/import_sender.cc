// File: clients/loyaltyctl/import_sender.cc

#include "clients/loyaltyctl/import_sender.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/loyaltyctl/check.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "loyalty/v1/contract.h"

namespace loyalty::ctl {
namespace {

// The reason of a failed call, by name when the server sent its number.
std::string ReasonOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto found = trailers.find(contract::kReasonMetadataKey);
  if (found == trailers.end()) return "";
  std::string value(found->second.data(), found->second.size());
  int number = 0;
  if (absl::SimpleAtoi(value, &number) &&
      loyalty::v1::ErrorReason_IsValid(number)) {
    return loyalty::v1::ErrorReason_Name(number);
  }
  return value;
}

// The deadline and credentials of one attempt, as every loyaltyctl call
// has them.
void PrepareContext(const GlobalFlags& global, grpc::ClientContext* context) {
  PrepareCallContext(global.api_key, global.timeout_ms, context);
}

}  // namespace

std::string ChunkLines(const ImportChunk& chunk) {
  if (chunk.rows.empty()) return "no lines";
  if (chunk.rows.size() == 1) return absl::StrCat("line ", chunk.rows[0].line);
  return absl::StrCat("lines ", chunk.rows.front().line, "..",
                      chunk.rows.back().line);
}

ImportSender::ImportSender(const GlobalFlags& global,
                           loyalty::v1::AdminService::Stub* stub,
                           int in_flight, ProgressReporter* progress,
                           OnAnswer on_answer)
    : global_(global),
      stub_(stub),
      in_flight_max_(static_cast<size_t>(std::max(in_flight, 1))),
      progress_(progress),
      on_answer_(std::move(on_answer)) {}

ImportSender::~ImportSender() { Finish(); }

CallAnswer ImportSender::Call(const loyalty::v1::ImportMembersRequest& request,
                              absl::string_view lines) const {
  CallAnswer answer;
  int64_t pause_ms = kImportRetryPauseMs;
  for (answer.attempts = 1;; ++answer.attempts) {
    grpc::ClientContext context;
    PrepareContext(global_, &context);
    answer.response.Clear();
    answer.status = stub_->ImportMembers(&context, request, &answer.response);
    answer.reason = answer.status.ok() ? "" : ReasonOf(context);
    if (answer.status.ok() || !IsTransient(answer.status.error_code()) ||
        answer.attempts >= kImportCallAttemptsMax) {
      return answer;
    }
    progress_->Note(absl::StrFormat(
        "loyaltyctl: import: %s: %s: %s; sending them again in %.2f s "
        "(attempt %d of %d)",
        lines, StatusCodeName(answer.status.error_code()),
        answer.status.error_message(), static_cast<double>(pause_ms) / 1000,
        answer.attempts + 1, kImportCallAttemptsMax));
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    pause_ms = std::min(pause_ms * 2, kImportRetryPauseMsMax);
  }
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
