// File: ledger/common/text_format_errors.h
//
// The text-format parser's first error, with its position as editors count
// it, for the files loyaltyd reads (the program, the API keys file):
//
//   google::protobuf::TextFormat::Parser parser;
//   FirstErrorCollector errors;
//   parser.RecordErrorsTo(&errors);
//   if (!parser.ParseFromString(text, &message)) ... errors.first_error()
#ifndef LOYALTY_LEDGER_COMMON_TEXT_FORMAT_ERRORS_H_
#define LOYALTY_LEDGER_COMMON_TEXT_FORMAT_ERRORS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"

namespace loyalty {

class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!first_error_.empty()) return;
    // The parser counts from 0; editors count from 1.
    first_error_ =
        absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message);
  }
  // "line L column C: problem"; empty when nothing was reported.
  const std::string& first_error() const { return first_error_; }

 private:
  std::string first_error_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_TEXT_FORMAT_ERRORS_H_
