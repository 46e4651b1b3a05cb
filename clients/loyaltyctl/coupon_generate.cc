#include "clients/loyaltyctl/coupon_generate.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/codes_csv.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/import_progress.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"

namespace loyalty::ctl {
namespace {

// The server's limits, checked before anything is sent.
constexpr int64_t kBatchCountMax = 10'000'000;
constexpr size_t kRequestIdLengthMax = 100;
// The stream's deadline grows with the batch: --timeout-ms plus this much
// per code (a million codes: 100 s more).
constexpr int64_t kDeadlineUsPerCode = 100;

struct GenerateFlags {
  ContextFlags context;
  std::string template_id;
  int64_t count = 0;
  std::string batch_id;
  std::string out;
  int64_t progress_ms = 5000;
};

// A JSON string literal of `text` (ids and paths as given).
std::string JsonString(absl::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
      quoted.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&quoted, "\\u00", absl::Hex(c, absl::kZeroPad2));
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "\"";
}

struct Streamed {
  int64_t codes = 0;
  int64_t replayed_codes = 0;  // Written by an earlier run.
};

void PrintSummary(const GlobalFlags& global, const GenerateFlags& flags,
                  const Streamed& streamed) {
  if (global.json) {
    std::cout << "{\"batchId\": " << JsonString(flags.batch_id)
              << ", \"templateId\": " << JsonString(flags.template_id)
              << ", \"count\": \"" << streamed.codes
              << "\", \"replayedCodes\": \"" << streamed.replayed_codes
              << "\", \"out\": " << JsonString(flags.out) << "}\n";
    return;
  }
  PrintFields(std::cout,
              {{"batch", flags.batch_id},
               {"template", flags.template_id},
               {"codes", FormatCount(streamed.codes)},
               {"written before", FormatCount(streamed.replayed_codes)},
               {"file", flags.out}});
}

ExitCode RunGenerate(const GlobalFlags& global, const GenerateFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildAdminRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  if (context->request_id().size() > kRequestIdLengthMax) {
    return ReportBadInput(absl::InvalidArgumentError(
        absl::StrCat("--request-id: at most ", kRequestIdLengthMax,
                     " characters (each chunk adds its own suffix)")));
  }
  loyalty::v1::GenerateCouponsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_batch_id(flags.batch_id);
  request.set_template_id(flags.template_id);
  request.set_count(flags.count);
  absl::StatusOr<std::unique_ptr<CodesCsvWriter>> csv =
      CodesCsvWriter::Create(flags.out, flags.batch_id, flags.count);
  if (!csv.ok()) return ReportBadInput(csv.status());
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  if (!connection.status().ok()) return ReportBadInput(connection.status());
  loyalty::client::CallOptions call;
  call.timeout_ms = global.timeout_ms + flags.count * kDeadlineUsPerCode / 1000;
  ProgressReporter progress(
      stderr, "generate", "codes", flags.count,
      StderrProgressOptions(static_cast<double>(flags.progress_ms) / 1000));
  Streamed streamed;
  // A chunk the CSV could not take; the library cancels the call then.
  absl::Status broken;
  const absl::Status status = connection.client().GenerateCoupons(
      request,
      [&](const loyalty::v1::GenerateCouponsResponse& chunk) {
        std::vector<std::string> codes(chunk.codes().begin(),
                                       chunk.codes().end());
        broken = (*csv)->Append(chunk.first_index(), codes);
        streamed.codes += static_cast<int64_t>(codes.size());
        if (chunk.replayed()) {
          streamed.replayed_codes += static_cast<int64_t>(codes.size());
        }
        progress.Update(streamed.codes);
        return broken;
      },
      call);
  progress.Finish(streamed.codes);
  if (!broken.ok()) {
    if (absl::IsDataLoss(broken)) return ReportBadResponse(broken.message());
    std::fprintf(stderr, "loyaltyctl: %s\n",
                 std::string(broken.message()).c_str());
    return ExitCode::kTransient;
  }
  if (!status.ok()) return ReportRpcFailure(status, request_id);
  absl::Status committed = (*csv)->Commit();
  if (!committed.ok()) {
    if (absl::IsDataLoss(committed)) {
      return ReportBadResponse(committed.message());
    }
    std::fprintf(stderr, "loyaltyctl: %s\n",
                 std::string(committed.message()).c_str());
    return ExitCode::kTransient;
  }
  PrintSummary(global, flags, streamed);
  return ExitCode::kOk;
}

}  // namespace

Command DefineCouponGenerate(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* command = coupon->add_subcommand(
      "generate",
      "Generate a batch of bearer coupon codes, any member's to use, into a "
      "CSV written as they stream in (AdminService.GenerateCoupons). Run it "
      "again with the same --batch-id after a failure: the codes written "
      "come first, then the rest, and --out is written anew, whole");
  command->add_option("--template", flags->template_id, "Coupon template id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--count", flags->count,
                   absl::StrCat("Codes in the batch, 1..", kBatchCountMax))
      ->type_name("N")
      ->required()
      ->transform(DecimalIntegerCheck(1, kBatchCountMax));
  command
      ->add_option("--batch-id", flags->batch_id,
                   "The batch's name: the same one resumes it")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--out", flags->out,
                   "The CSV to write (batch_id,index,code); written to "
                   "<out>.partial until complete")
      ->type_name("FILE")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--progress-ms", flags->progress_ms,
                   "Least time between two progress lines when stderr is "
                   "not a terminal")
      ->type_name("MS")
      ->transform(DecimalIntegerCheck(100, 3600000));
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunGenerate(*global, *flags); }};
}

}  // namespace loyalty::ctl
