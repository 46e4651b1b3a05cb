// File: clients/loyaltyctl/output.cc

#include "clients/loyaltyctl/output.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/errors.h"

namespace loyalty::ctl {

ExitCode PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return ReportBadResponse(absl::StrCat("cannot print the response as JSON: ",
                                          std::string(status.message())));
  }
  std::cout << json << '\n';
  return ExitCode::kOk;
}

void AnnounceRequestId(const GlobalFlags& global,
                       absl::string_view request_id) {
  if (global.json) return;
  // Flushed now: if the call then hangs, the id is already on screen.
  std::cout << "request id: " << request_id << std::endl;
}

void PrintReplayedNote(bool replayed) {
  if (!replayed) return;
  std::cout << "(replayed: the first outcome of this request id; "
               "nothing was written)\n";
}

}  // namespace loyalty::ctl
