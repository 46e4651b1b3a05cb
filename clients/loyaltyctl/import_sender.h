// File: clients/loyaltyctl/import_sender.h
//
// Sends the rows of `loyaltyctl import` as AdminService.ImportMembers calls
// of up to 1000 rows: several calls in flight at once (each on its own
// thread, with the thread-safe sync stub), and the answers handed back in
// the order the chunks were sent, on the caller's thread, so output and
// counts follow the file.
//
// The client library sends a call that failed transiently again, unchanged,
// after a growing random pause, up to --retries times (each retry noted on
// the progress output). That is safe for writes because every row carries
// its own request id: a row the first attempt applied is replayed, not
// applied twice.
//
//   ImportSender sender(connection.client(), /*in_flight=*/4,
//                       &progress, [&](ImportChunk& chunk, CallAnswer& answer)
//                       {
//                         ...
//                         return true;  // false: send no further chunks
//                       });
//   while (...) sender.Send(std::move(chunk));
//   sender.Finish();

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SENDER_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SENDER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/import_progress.h"
#include "clients/loyaltyctl/import_rows.h"
#include "loyalty/client/client.h"

namespace loyalty::ctl {

inline constexpr int kImportRowsPerCall = 1000;

// Rows sent in one call, with what the answer is read against.
struct ImportChunk {
  std::vector<ImportRow> rows;
  loyalty::v1::ImportMembersRequest request;
};

// The outcome of a call after its last attempt.
struct CallAnswer {
  absl::Status status;
  // The reason of a failure (loyalty::client::ReasonTextOf, by its name
  // when the server sent its number), or "".
  std::string reason;
  int attempts = 0;
  loyalty::v1::ImportMembersResponse response;  // When status is OK.
};

class ImportSender {
 public:
  // Handles the answer to `chunk`; returns false to stop sending.
  using OnAnswer = std::function<bool(ImportChunk& chunk, CallAnswer& answer)>;

  // `client` and `progress` (where retries are noted) must outlive the
  // sender. in_flight >= 1.
  ImportSender(const loyalty::client::Client& client, int in_flight,
               ProgressReporter* progress, OnAnswer on_answer);

  // Waits for every call still out (their answers are handled too).
  ~ImportSender();

  ImportSender(const ImportSender&) = delete;
  ImportSender& operator=(const ImportSender&) = delete;

  // Sends `chunk`, after handling the oldest answer first when in_flight
  // calls are out already. Returns false, sending nothing, once an answer
  // was handled with false.
  bool Send(ImportChunk chunk);

  // Waits for and handles every answer still out. Returns false if any
  // handler returned false.
  bool Finish();

 private:
  struct InFlight {
    ImportChunk chunk;
    std::future<CallAnswer> answer;
  };

  // Calls ImportMembers with retries; runs on a thread of its own.
  CallAnswer Call(const loyalty::v1::ImportMembersRequest& request,
                  absl::string_view lines) const;
  void HandleOldest();

  const loyalty::client::Client& client_;
  const size_t in_flight_max_;
  ProgressReporter* const progress_;
  const OnAnswer on_answer_;
  std::deque<InFlight> in_flight_;
  bool stopped_ = false;
};

// "lines 2..1001" (or "line 7"): the rows of a chunk, for messages.
std::string ChunkLines(const ImportChunk& chunk);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SENDER_H_
