// File: clients/loyaltyctl/codes_csv.h
//
// The CSV `loyaltyctl coupon generate` writes: a batch's codes in batch
// order, written as they stream in.
//
//   batch_id,index,code
//   spring-flyer,0,7K2M-9QXD-4HBA-T0CE-Z
//   spring-flyer,1,...
//
// Codes are printed with their check character; ids and codes never need
// quoting (ids are [A-Za-z0-9._:@-], codes [0-9A-Z-]).
//
// Resuming: the chunks go to "<path>.partial" (created anew, mode 0600:
// each code is worth money) and the file is synced and renamed to <path>
// only once the last code of the batch is in (a failed run leaves what
// arrived in the partial file; one refused before any code, nothing). A rerun
// with the same batch id streams the whole batch again (what exists first, then
// the rest), so it writes the partial file from the start and the target
// appears whole or not at all; a failed run leaves the target as it was.
//
//   absl::StatusOr<std::unique_ptr<CodesCsvWriter>> csv =
//       CodesCsvWriter::Create("codes.csv", "spring-flyer", 1000000);
//   (*csv)->Append(first_index, codes);   // For each chunk, in order.
//   (*csv)->Commit();                     // After the last.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CODES_CSV_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CODES_CSV_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::ctl {

// The header line and the lines of one chunk, each with its line end.
std::string CodesCsvHeader();
std::string CodesCsvLines(absl::string_view batch_id, int64_t first_index,
                          const std::vector<std::string>& codes);

class CodesCsvWriter {
 public:
  // Creates "<path>.partial" (truncating one a failed run left) and writes
  // the header. An error names --out, the path and the system's reason.
  static absl::StatusOr<std::unique_ptr<CodesCsvWriter>> Create(
      std::string path, std::string batch_id, int64_t count);

  // Leaves the partial file (what arrived) when Commit did not run; removes
  // it when no code arrived.
  ~CodesCsvWriter();

  CodesCsvWriter(const CodesCsvWriter&) = delete;
  CodesCsvWriter& operator=(const CodesCsvWriter&) = delete;

  // Appends one chunk. A chunk that does not start where the file stops,
  // or passes the batch's count, is an error (the server's answer is
  // broken) and writes nothing.
  absl::Status Append(int64_t first_index,
                      const std::vector<std::string>& codes);
  // Codes written so far.
  int64_t written() const { return written_; }
  // Syncs and renames the partial file to the path. An error when fewer
  // than `count` codes were written, or the system refuses.
  absl::Status Commit();

 private:
  CodesCsvWriter(std::string path, std::string partial_path,
                 std::string batch_id, int64_t count, std::FILE* file);
  absl::Status SystemError(absl::string_view what) const;

  const std::string path_;
  const std::string partial_path_;
  const std::string batch_id_;
  const int64_t count_;
  std::FILE* file_;  // Null after Commit.
  int64_t written_ = 0;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CODES_CSV_H_
