#include "clients/loyaltyctl/codes_csv.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace loyalty::ctl {

std::string CodesCsvHeader() { return "batch_id,index,code\n"; }

std::string CodesCsvLines(absl::string_view batch_id, int64_t first_index,
                          const std::vector<std::string>& codes) {
  std::string lines;
  lines.reserve(codes.size() * (batch_id.size() + 32));
  for (size_t i = 0; i < codes.size(); ++i) {
    absl::StrAppend(&lines, batch_id, ",",
                    first_index + static_cast<int64_t>(i), ",", codes[i], "\n");
  }
  return lines;
}

absl::StatusOr<std::unique_ptr<CodesCsvWriter>> CodesCsvWriter::Create(
    std::string path, std::string batch_id, int64_t count) {
  std::string partial_path = path + ".partial";
  const int fd = ::open(partial_path.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--out: cannot create ", partial_path, ": ", std::strerror(errno)));
  }
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("--out: ", partial_path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<CodesCsvWriter> writer(
      new CodesCsvWriter(std::move(path), std::move(partial_path),
                         std::move(batch_id), count, file));
  const std::string header = CodesCsvHeader();
  if (std::fwrite(header.data(), 1, header.size(), file) != header.size() ||
      std::fflush(file) != 0) {
    return writer->SystemError("writing");
  }
  return writer;
}

CodesCsvWriter::CodesCsvWriter(std::string path, std::string partial_path,
                               std::string batch_id, int64_t count,
                               std::FILE* file)
    : path_(std::move(path)),
      partial_path_(std::move(partial_path)),
      batch_id_(std::move(batch_id)),
      count_(count),
      file_(file) {}

CodesCsvWriter::~CodesCsvWriter() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  // Nothing arrived (a refusal): no partial file is left behind.
  if (written_ == 0) ::unlink(partial_path_.c_str());
}

absl::Status CodesCsvWriter::SystemError(absl::string_view what) const {
  return absl::UnavailableError(absl::StrCat(
      "--out: ", what, " ", partial_path_, ": ", std::strerror(errno)));
}

absl::Status CodesCsvWriter::Append(int64_t first_index,
                                    const std::vector<std::string>& codes) {
  if (file_ == nullptr) return absl::FailedPreconditionError("committed");
  if (first_index != written_ ||
      static_cast<int64_t>(codes.size()) > count_ - written_) {
    return absl::DataLossError(
        absl::StrCat("the server sent codes ", first_index, "..",
                     first_index + static_cast<int64_t>(codes.size()) - 1,
                     " after codes 0..", written_ - 1, " of ", count_));
  }
  const std::string lines = CodesCsvLines(batch_id_, first_index, codes);
  // Each chunk reaches the file as it arrives (one write per chunk).
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size() ||
      std::fflush(file_) != 0) {
    return SystemError("writing");
  }
  written_ += static_cast<int64_t>(codes.size());
  return absl::OkStatus();
}

absl::Status CodesCsvWriter::Commit() {
  if (file_ == nullptr) return absl::FailedPreconditionError("committed");
  if (written_ != count_) {
    return absl::DataLossError(absl::StrCat("the stream ended after ", written_,
                                            " of ", count_, " codes"));
  }
  // The codes are durable before the file takes the final name.
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) {
    return SystemError("syncing");
  }
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) return SystemError("closing");
  if (::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("--out: renaming ",
                                               partial_path_, " to ", path_,
                                               ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::ctl
