// File: clients/loyaltyctl/import_command.cc
//
// `loyaltyctl import FILE`: carries legacy balances over from a CSV file
// (AdminService.ImportMembers), in three phases: validate the file locally,
// check its good rows with the server in a dry run, import them. The help
// text below is the reference for the file format and the phases.
//
// Memory stays small for millions of rows: the file is read again in each
// phase instead of being held, and what is kept per row is a few bytes (see
// import_scan.h); a dry run's plan waits in a temporary file.

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/loyaltyctl/check.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/import_progress.h"
#include "clients/loyaltyctl/import_results.h"
#include "clients/loyaltyctl/import_rows.h"
#include "clients/loyaltyctl/import_scan.h"
#include "clients/loyaltyctl/import_sender.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ImportMemberRequest;
using loyalty::v1::ImportMemberResult;

constexpr char kImportSummary[] =
    "Import legacy balances from a CSV file, safe to re-run "
    "(AdminService.ImportMembers)";

// Shown after the flags; commands.cc adds the global flags and exit codes.
constexpr char kImportHelp[] = R"(Each row finds the member that has its card, or enrols a new one, links the
row's phone to that member, and credits the balance as an OPENING entry.

FILE: CSV as RFC 4180 writes it, in UTF-8 (a leading byte order mark is
skipped), with LF or CRLF line ends. The first line names the columns, in
any order:
  card_number     required  the store card: 4..32 digits
  phone           optional  any notation; a number without +country code is
                            read in the program's default_phone_region
  balance_points  required  the balance: digits only, 0..1000000000000
  earned_on       optional  YYYY-MM-DD, when the points were earned (a day
                            in the program's time zone, not in the future);
                            their expiry follows from it by the program's
                            rule, and points past it expire at once. Empty:
                            earned today.
A value may be quoted: "..." holds commas, line breaks, and "" for a quote.
Spaces around values are ignored, and so are blank lines. Lines are counted
as in the file, the header being line 1, and a card may be on one line only.

Phases:
  1. validate  every row is checked here; each bad one is reported on
               stderr as FILE:LINE: column COLUMN: reason
  2. check     the good rows go to the server as a dry run (nothing is
               written); what it would refuse (a phone that is no phone
               number or belongs to another member, a card imported before
               under this --name with another balance, phone or date) is
               reported the same way
     Any bad row stops here: the count is printed and nothing is written
     (exit 2, or 3 when only the server objected). --skip-invalid leaves
     bad rows out instead.
     --dry-run stops here too, printing what each row would do.
  3. import    the rows go in calls of 1000, --in-flight calls at a time.
Progress goes to stderr, the summary to stdout.

Safe to re-run: a row's request id is "import:NAME:CARD", from --name and
the card, never the line. Running the same file again (after a crash or a
lost connection, or fixed, or sorted differently) finds the rows imported
before ("already imported") and credits nothing twice. A row whose balance,
phone or date differs from what was imported for its card under this --name
is reported, and changes nothing.

Exit codes of import: 2 the file has bad rows (nothing was written) or the
file or flags are bad; 3 the server refused rows: in the check (nothing was
written), or while importing (the others are imported; fix those rows and
re-run); 4 loyaltyd stayed unreachable or overloaded through every retry
(re-running the same command resumes).)";

constexpr double kMsPerSecond = 1000.0;

struct ImportFlags {
  std::string file;
  std::string name = "legacy";
  bool dry_run = false;
  bool skip_invalid = false;
  int64_t in_flight = 4;
  // Interval of the plain progress lines when stderr is not a terminal.
  int64_t progress_ms = 5000;
};

// A sorted, duplicate-free union of two sorted line lists.
std::vector<int64_t> MergeLines(const std::vector<int64_t>& a,
                                const std::vector<int64_t>& b) {
  std::vector<int64_t> merged;
  merged.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                 std::back_inserter(merged));
  return merged;
}

// The identity of a file's contents, as far as stat tells.
struct FileStamp {
  int64_t size_bytes = 0;
  int64_t modified_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

absl::StatusOr<FileStamp> StampOf(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a regular file (import reads the file once per phase)"));
  }
  return FileStamp{static_cast<int64_t>(info.st_size),
                   static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                       info.st_mtim.tv_nsec};
}

// One row of a dry run's plan as it waits in the temporary file:
// "LINE REPLAYED ENROLLED PHONE_LINKED POINTS\tTEXT".
struct PlanRecord {
  int64_t line = 0;
  loyalty::v1::ImportMemberResponse outcome;  // The fields counted only.
  std::string text;
};

std::string EncodePlanRecord(int64_t line,
                             const loyalty::v1::ImportMemberResponse& outcome,
                             absl::string_view text) {
  return absl::StrCat(line, " ", outcome.replayed() ? 1 : 0, " ",
                      outcome.enrolled() ? 1 : 0, " ",
                      outcome.phone_linked() ? 1 : 0, " ",
                      outcome.opening_points(), "\t", text, "\n");
}

bool DecodePlanRecord(absl::string_view encoded, PlanRecord* record) {
  const std::pair<absl::string_view, absl::string_view> halves =
      absl::StrSplit(encoded, absl::MaxSplits('\t', 1));
  const std::vector<absl::string_view> numbers =
      absl::StrSplit(halves.first, ' ');
  int values[3] = {0, 0, 0};
  int64_t points = 0;
  if (numbers.size() != 5 || !absl::SimpleAtoi(numbers[0], &record->line) ||
      !absl::SimpleAtoi(numbers[1], &values[0]) ||
      !absl::SimpleAtoi(numbers[2], &values[1]) ||
      !absl::SimpleAtoi(numbers[3], &values[2]) ||
      !absl::SimpleAtoi(numbers[4], &points)) {
    return false;
  }
  record->outcome.Clear();
  record->outcome.set_replayed(values[0] == 1);
  record->outcome.set_enrolled(values[1] == 1);
  record->outcome.set_phone_linked(values[2] == 1);
  record->outcome.set_opening_points(points);
  record->text = std::string(halves.second);
  return true;
}

class ImportRun {
 public:
  ImportRun(const GlobalFlags& global, const ImportFlags& flags)
      : global_(global), flags_(flags), options_(RowCheckOptionsNow()) {}

  ~ImportRun() {
    if (plan_ != nullptr) std::fclose(plan_);
  }

  ExitCode Run();

 private:
  using OnRow = std::function<void(const ImportRow&, const ImportMemberRequest&,
                                   const ImportMemberResult&,
                                   ProgressReporter*)>;

  ExitCode Open();
  ExitCode Validate();
  ExitCode Check();
  ExitCode Import();
  ExitCode PrintPlan();
  ExitCode StopForBadRows() const;
  // Puts the file back at its start, after checking it did not change.
  absl::Status Rewind();
  // Sends every row not in `skip` (a sorted list of lines), `total` of them,
  // in ImportMembers calls, and hands each row's result to `on_row`.
  // Returns kOk, or the exit code of what stopped it (reported).
  ExitCode SendRows(absl::string_view label, bool dry_run,
                    const std::vector<int64_t>& skip, int64_t total,
                    const OnRow& on_row);
  ExitCode ReportCallFailure(const ImportChunk& chunk,
                             const CallAnswer& answer, bool dry_run,
                             ProgressReporter* progress) const;
  // "loyaltyctl: import: checked 1000 rows in 0.52 s (1923 rows/s)".
  void ReportPhaseTime(absl::string_view done_verb, int64_t rows,
                       double seconds) const;
  ProgressReporter::Options ProgressOptions() const {
    return StderrProgressOptions(static_cast<double>(flags_.progress_ms) /
                                 kMsPerSecond);
  }

  const GlobalFlags& global_;
  const ImportFlags& flags_;
  const RowCheckOptions options_;
  std::ifstream in_;
  FileStamp stamp_;
  std::unique_ptr<Connection> connection_;
  ImportScan scan_;
  // Lines the server objected to in the check, sorted.
  std::vector<int64_t> check_bad_lines_;
  // Lines the check found imported already, sorted.
  std::vector<int64_t> replayed_lines_;
  // All bad lines: the scan's and the check's, sorted.
  std::vector<int64_t> bad_lines_;
  // The dry run's plan (--dry-run only), one PlanRecord per line.
  std::FILE* plan_ = nullptr;
  ImportTotals totals_;
};

ExitCode ImportRun::Open() {
  if (absl::Status name = CheckImportName(flags_.name); !name.ok()) {
    return ReportBadInput(name);
  }
  absl::StatusOr<FileStamp> stamp = StampOf(flags_.file);
  if (!stamp.ok()) return ReportBadInput(stamp.status());
  stamp_ = *stamp;
  in_.open(flags_.file, std::ios::binary);
  if (!in_) {
    return ReportBadInput(absl::NotFoundError(absl::StrCat(
        flags_.file, ": cannot open: ", std::strerror(errno))));
  }
  return ExitCode::kOk;
}

absl::Status ImportRun::Rewind() {
  absl::StatusOr<FileStamp> stamp = StampOf(flags_.file);
  if (!stamp.ok()) return stamp.status();
  if (!(*stamp == stamp_)) {
    return absl::FailedPreconditionError(absl::StrCat(
        flags_.file, ": the file changed while it was imported; run the "
                     "import again (rows imported already are recognised)"));
  }
  in_.clear();
  in_.seekg(0);
  if (!in_) {
    return absl::DataLossError(
        absl::StrCat(flags_.file, ": cannot read it again"));
  }
  return absl::OkStatus();
}

void ImportRun::ReportPhaseTime(absl::string_view done_verb, int64_t rows,
                                double seconds) const {
  std::cerr << absl::StrFormat(
      "loyaltyctl: import: %s %d rows in %.2f s (%d rows/s)\n", done_verb, rows,
      seconds,
      seconds > 0 ? static_cast<int64_t>(static_cast<double>(rows) / seconds)
                  : rows);
}

ExitCode ImportRun::Validate() {
  ProgressReporter progress(stderr, "validate", "bytes", stamp_.size_bytes,
                            ProgressOptions());
  absl::StatusOr<ImportScan> scan = ScanImportCsv(
      &in_, options_,
      [&progress](int64_t /*rows*/, int64_t bytes) { progress.Update(bytes); });
  progress.Finish(stamp_.size_bytes);
  if (!scan.ok()) {
    return ReportBadInput(absl::Status(
        scan.status().code(),
        absl::StrCat(flags_.file, ": ", scan.status().message())));
  }
  scan_ = *std::move(scan);
  for (const RowProblem& problem : scan_.problems) {
    std::cerr << FormatRowProblem(flags_.file, problem) << '\n';
  }
  if (!scan_.header_ok) return ExitCode::kBadInput;
  totals_.rows_read = scan_.rows;
  ReportPhaseTime("validated", scan_.rows, progress.elapsed_s());
  return ExitCode::kOk;
}

ExitCode ImportRun::ReportCallFailure(const ImportChunk& chunk,
                                      const CallAnswer& answer, bool dry_run,
                                      ProgressReporter* progress) const {
  const bool transient = client::IsTransientFailure(answer.status);
  std::string line =
      absl::StrCat("loyaltyctl: import: ", ChunkLines(chunk), ": ",
                   client::StatusCodeName(answer.status.code()), ": ",
                   answer.status.message());
  if (!answer.reason.empty()) absl::StrAppend(&line, " (reason: ", answer.reason, ")");
  if (transient) {
    absl::StrAppend(&line, "; gave up after ", answer.attempts, " attempts. ");
    absl::StrAppend(
        &line, dry_run
                   ? "Nothing was written; run the same command again."
                   : "Re-running the same command resumes: rows imported "
                     "already are recognised by their request ids and "
                     "credit nothing twice.");
  }
  progress->Note(line);
  return transient ? ExitCode::kTransient : ExitCode::kRejected;
}

ExitCode ImportRun::SendRows(absl::string_view label, bool dry_run,
                             const std::vector<int64_t>& skip, int64_t total,
                             const OnRow& on_row) {
  if (absl::Status rewound = Rewind(); !rewound.ok()) {
    return ReportBadInput(rewound);
  }
  ProgressReporter progress(stderr, std::string(label), "rows", total,
                            ProgressOptions());
  ExitCode failure = ExitCode::kOk;
  int64_t done = 0;
  ImportSender sender(
      connection_->client(), static_cast<int>(flags_.in_flight), &progress,
      [&](ImportChunk& chunk, CallAnswer& answer) {
        if (!answer.status.ok()) {
          failure = ReportCallFailure(chunk, answer, dry_run, &progress);
          return false;
        }
        const auto& results = answer.response.results();
        if (results.size() != static_cast<int>(chunk.rows.size())) {
          failure = ReportBadResponse(absl::StrCat(
              "import: ", ChunkLines(chunk), ": the server answered ",
              results.size(), " results for ", chunk.rows.size(), " rows"));
          return false;
        }
        for (size_t i = 0; i < chunk.rows.size(); ++i) {
          on_row(chunk.rows[i], chunk.request.rows(static_cast<int>(i)),
                 results[static_cast<int>(i)], &progress);
        }
        done += static_cast<int64_t>(chunk.rows.size());
        progress.Update(done);
        return true;
      });
  ImportRowStream rows(&in_, options_, &skip);
  absl::Status read = absl::OkStatus();
  ImportChunk chunk;
  bool sending = true;
  while (sending) {
    ImportRow row;
    absl::StatusOr<bool> more = rows.Next(&row);
    if (!more.ok()) read = more.status();
    const bool last = !more.ok() || !*more;
    if (!last) {
      *chunk.request.add_rows() = BuildImportMemberRequest(flags_.name, row);
      chunk.rows.push_back(std::move(row));
    }
    const bool full = chunk.rows.size() == kImportRowsPerCall;
    if ((full || (last && read.ok())) && !chunk.rows.empty()) {
      chunk.request.set_dry_run(dry_run);
      sending = sender.Send(std::move(chunk));
      chunk = ImportChunk();
    }
    if (last) break;
  }
  sender.Finish();
  progress.Finish(done);
  if (!read.ok()) {
    return ReportBadInput(absl::Status(
        read.code(), absl::StrCat(flags_.file, ": ", read.message())));
  }
  if (failure == ExitCode::kOk) {
    ReportPhaseTime(dry_run ? "checked" : "imported", done,
                    progress.elapsed_s());
  }
  return failure;
}

ExitCode ImportRun::Check() {
  std::vector<PhoneLink> phone_links;
  const bool keep_plan = flags_.dry_run;
  if (keep_plan) {
    plan_ = std::tmpfile();
    if (plan_ == nullptr) {
      return ReportBadInput(absl::UnavailableError(absl::StrCat(
          "cannot create a temporary file for the plan: ",
          std::strerror(errno))));
    }
  }
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const auto on_row = [&](const ImportRow& row,
                          const ImportMemberRequest& request,
                          const ImportMemberResult& result,
                          ProgressReporter* progress) {
    if (result.code() != 0) {
      progress->Note(FormatRowProblem(
          flags_.file, ProblemOfResult(row.line, flags_.name, request, result)));
      check_bad_lines_.push_back(row.line);
      return;
    }
    const loyalty::v1::ImportMemberResponse& outcome = result.response();
    if (outcome.replayed()) replayed_lines_.push_back(row.line);
    if (auto link = PhoneLinkOf(row.line, outcome)) phone_links.push_back(*link);
    if (keep_plan) {
      const std::string text = global_.json
                                   ? FormatPlanJson(row, outcome)
                                   : FormatPlanLine(row, outcome, now_ms);
      std::fputs(EncodePlanRecord(row.line, outcome, text).c_str(), plan_);
    }
  };
  const int64_t good_rows =
      scan_.rows - static_cast<int64_t>(scan_.bad_lines.size());
  const ExitCode sent =
      SendRows("check", /*dry_run=*/true, scan_.bad_lines, good_rows, on_row);
  if (sent != ExitCode::kOk) return sent;
  std::vector<int64_t> shared_phone_lines;
  for (const RowProblem& problem : FindSharedPhones(std::move(phone_links))) {
    std::cerr << FormatRowProblem(flags_.file, problem) << '\n';
    shared_phone_lines.push_back(problem.line);
  }
  // Both lists follow the file, so they are sorted already.
  check_bad_lines_ = MergeLines(check_bad_lines_, shared_phone_lines);
  bad_lines_ = MergeLines(scan_.bad_lines, check_bad_lines_);
  totals_.skipped_invalid = static_cast<int64_t>(bad_lines_.size());
  return ExitCode::kOk;
}

ExitCode ImportRun::StopForBadRows() const {
  std::cerr << absl::StrFormat(
      "loyaltyctl: import: %s: %d of %d rows are bad (listed above); nothing "
      "was written. Fix them and run the same command again, or pass "
      "--skip-invalid to import the other %d.\n",
      flags_.file, bad_lines_.size(), scan_.rows,
      scan_.rows - static_cast<int64_t>(bad_lines_.size()));
  // As for any command: bad values of our own are 2, the server's refusal
  // (a taken phone, a card imported before with other values) is 3.
  return scan_.bad_lines.empty() ? ExitCode::kRejected : ExitCode::kBadInput;
}

ExitCode ImportRun::PrintPlan() {
  if (plan_ != nullptr) {
    std::rewind(plan_);
    std::string encoded;
    PlanRecord record;
    size_t next_bad = 0;
    for (int c = std::fgetc(plan_); c != EOF; c = std::fgetc(plan_)) {
      if (c != '\n') {
        encoded.push_back(static_cast<char>(c));
        continue;
      }
      // Invariant: this process wrote every record.
      LOYALTYCTL_CHECK(DecodePlanRecord(encoded, &record));
      encoded.clear();
      // Rows a later row's shared phone made bad are left out.
      while (next_bad < check_bad_lines_.size() &&
             check_bad_lines_[next_bad] < record.line) {
        ++next_bad;
      }
      if (next_bad < check_bad_lines_.size() &&
          check_bad_lines_[next_bad] == record.line) {
        continue;
      }
      CountOutcome(record.outcome, &totals_);
      std::cout << record.text << '\n';
    }
  }
  std::cout << (global_.json ? FormatSummaryJson(totals_, /*dry_run=*/true) + "\n"
                             : FormatSummary(totals_, /*dry_run=*/true));
  return ExitCode::kOk;
}

ExitCode ImportRun::Import() {
  totals_.already_imported = static_cast<int64_t>(replayed_lines_.size());
  const std::vector<int64_t> skip = MergeLines(bad_lines_, replayed_lines_);
  const int64_t to_import = scan_.rows - static_cast<int64_t>(skip.size());
  ExitCode sent = ExitCode::kOk;
  if (to_import > 0) {
    const auto on_row = [&](const ImportRow& row,
                            const ImportMemberRequest& request,
                            const ImportMemberResult& result,
                            ProgressReporter* progress) {
      if (result.code() != 0) {
        progress->Note(FormatRowProblem(
            flags_.file,
            ProblemOfResult(row.line, flags_.name, request, result)));
        ++totals_.failed;
        return;
      }
      CountOutcome(result.response(), &totals_);
    };
    sent = SendRows("import", /*dry_run=*/false, skip, to_import, on_row);
  }
  std::cout << (global_.json ? FormatSummaryJson(totals_, /*dry_run=*/false) + "\n"
                             : FormatSummary(totals_, /*dry_run=*/false));
  if (sent != ExitCode::kOk) return sent;
  return totals_.failed > 0 ? ExitCode::kRejected : ExitCode::kOk;
}

ExitCode ImportRun::Run() {
  if (ExitCode opened = Open(); opened != ExitCode::kOk) return opened;
  if (ExitCode valid = Validate(); valid != ExitCode::kOk) return valid;
  connection_ = std::make_unique<Connection>(global_);
  if (!connection_->status().ok()) {
    return ReportBadInput(connection_->status());
  }
  if (scan_.rows > static_cast<int64_t>(scan_.bad_lines.size())) {
    if (ExitCode checked = Check(); checked != ExitCode::kOk) return checked;
  } else {
    bad_lines_ = scan_.bad_lines;
    totals_.skipped_invalid = static_cast<int64_t>(bad_lines_.size());
  }
  if (!bad_lines_.empty() && !flags_.skip_invalid) return StopForBadRows();
  if (flags_.dry_run) return PrintPlan();
  return Import();
}

}  // namespace

Command DefineImportCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* command = app->add_subcommand("import", kImportSummary);
  // A footer callback, as DefineCommands sets the footer text itself.
  command->footer([] { return std::string(kImportHelp); });
  command->add_option("FILE", flags->file, "CSV file of legacy balances")
      ->required();
  command
      ->add_option("--name", flags->name,
                   "Name of this import, part of every row's request id: "
                   "1..32 of A-Z a-z 0-9 . _ -")
      ->type_name("NAME")
      ->capture_default_str();
  command->add_flag("--dry-run", flags->dry_run,
                    "Validate and check, print what each row would do, write "
                    "nothing");
  command->add_flag("--skip-invalid", flags->skip_invalid,
                    "Leave bad rows out (counted) and import the others");
  command
      ->add_option("--in-flight", flags->in_flight,
                   "Calls of 1000 rows sent at once")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(1, 64))
      ->capture_default_str();
  command
      ->add_option("--progress-ms", flags->progress_ms,
                   "Interval of the progress lines when stderr is not a "
                   "terminal")
      ->type_name("MS")
      ->transform(DecimalIntegerCheck(1, 3'600'000))
      ->capture_default_str();
  return {command, [global, flags] { return ImportRun(*global, *flags).Run(); }};
}

}  // namespace loyalty::ctl
