// File: clients/loyaltyctl/import_csv_reader.cc

#include "clients/loyaltyctl/import_csv_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace loyalty::ctl {
namespace {

constexpr unsigned char kByteOrderMark[] = {0xEF, 0xBB, 0xBF};

bool IsBlankByte(int c) { return c == ' ' || c == '\t'; }

}  // namespace

CsvRecordReader::CsvRecordReader(std::istream* in, size_t chunk_bytes)
    // The first read takes at least the three bytes of a byte order mark.
    : in_(in), buffer_(std::max<size_t>(chunk_bytes, 1)) {}

bool CsvRecordReader::Refill() {
  if (at_end_) return false;
  bytes_before_buffer_ += static_cast<int64_t>(size_);
  position_ = 0;
  size_ = 0;
  const size_t want =
      at_start_ ? std::max<size_t>(buffer_.size(), sizeof(kByteOrderMark))
                : buffer_.size();
  if (buffer_.size() < want) buffer_.resize(want);
  in_->read(buffer_.data(), static_cast<std::streamsize>(want));
  size_ = static_cast<size_t>(in_->gcount());
  if (size_ == 0) {
    at_end_ = true;
    if (in_->bad()) status_ = absl::DataLossError("cannot read the file");
    return false;
  }
  return true;
}

int CsvRecordReader::Peek() {
  if (position_ == size_ && !Refill()) return -1;
  return static_cast<unsigned char>(buffer_[position_]);
}

int CsvRecordReader::Get() {
  const int c = Peek();
  if (c >= 0) ++position_;
  return c;
}

bool CsvRecordReader::ConsumeLfAfterCr() {
  if (Peek() != '\n') return false;
  Get();
  ++line_;
  return true;
}

void CsvRecordReader::SetDefect(CsvRecord* record, std::string problem) {
  if (record->defect.has_value()) return;  // The first one says most.
  record->defect = CsvDefect{field_index_, std::move(problem)};
}

void CsvRecordReader::Append(CsvRecord* record, std::string* field, char c) {
  if (field->size() < kCsvFieldBytesMax) {
    field->push_back(c);
    return;
  }
  SetDefect(record,
            absl::StrCat("a field is longer than ", kCsvFieldBytesMax,
                         " bytes (no value of an import is that long)"));
}

CsvRecordReader::FieldEnd CsvRecordReader::ReadUnquoted(CsvRecord* record,
                                                        std::string* field) {
  while (true) {
    const int c = Get();
    if (c < 0) return FieldEnd::kEndOfInput;
    if (c == ',') return FieldEnd::kComma;
    if (c == '\n') {
      ++line_;
      return FieldEnd::kLineBreak;
    }
    if (c == '\r' && ConsumeLfAfterCr()) return FieldEnd::kLineBreak;
    if (c == '"') {
      SetDefect(record,
                "a quote inside an unquoted field; quote the whole field "
                "and double the quote (\"\")");
    }
    Append(record, field, static_cast<char>(c));
  }
}

CsvRecordReader::FieldEnd CsvRecordReader::ReadAfterQuote(CsvRecord* record) {
  while (true) {
    const int c = Get();
    if (c < 0) return FieldEnd::kEndOfInput;
    if (c == ',') return FieldEnd::kComma;
    if (c == '\n') {
      ++line_;
      return FieldEnd::kLineBreak;
    }
    if (c == '\r' && ConsumeLfAfterCr()) return FieldEnd::kLineBreak;
    if (IsBlankByte(c)) continue;
    SetDefect(record, "text after the closing quote of a quoted field");
    // The rest of the field is skipped: the record is bad already.
    std::string rest(1, static_cast<char>(c));
    return ReadUnquoted(record, &rest);
  }
}

CsvRecordReader::FieldEnd CsvRecordReader::ReadQuoted(CsvRecord* record,
                                                      std::string* field) {
  const int64_t opened_on_line = line_;
  while (true) {
    const int c = Get();
    if (c < 0) {
      SetDefect(record, absl::StrCat("unterminated quote: the quoted field "
                                     "that opens on line ",
                                     opened_on_line, " is never closed"));
      return FieldEnd::kEndOfInput;
    }
    if (c == '"') {
      if (Peek() != '"') return ReadAfterQuote(record);
      Get();  // "" inside quotes is one quote.
    } else if (c == '\n') {
      ++line_;
    }
    Append(record, field, static_cast<char>(c));
  }
}

CsvRecordReader::FieldEnd CsvRecordReader::ReadField(CsvRecord* record,
                                                     std::string* field,
                                                     bool* quoted) {
  field->clear();
  // Spaces and tabs that start a field are dropped, so that a quoted field
  // may follow them; no value of an import starts with one.
  while (IsBlankByte(Peek())) Get();
  *quoted = Peek() == '"';
  if (*quoted) {
    Get();
    return ReadQuoted(record, field);
  }
  return ReadUnquoted(record, field);
}

bool CsvRecordReader::Next(CsvRecord* record) {
  if (at_start_) {
    Peek();  // Fills the buffer with at least the length of a BOM.
    at_start_ = false;
    if (size_ >= sizeof(kByteOrderMark) &&
        std::equal(kByteOrderMark, kByteOrderMark + sizeof(kByteOrderMark),
                   reinterpret_cast<const unsigned char*>(buffer_.data()))) {
      position_ = sizeof(kByteOrderMark);
    }
  }
  std::string overflow_field;  // Fields past kCsvFieldsKeptMax land here.
  while (Peek() >= 0) {
    record->line = line_;
    record->field_count = 0;
    record->defect.reset();
    size_t kept = 0;
    bool any_quoted = false;
    FieldEnd end = FieldEnd::kComma;
    while (end == FieldEnd::kComma) {
      field_index_ = record->field_count;
      std::string* field = &overflow_field;
      if (kept < kCsvFieldsKeptMax) {
        if (kept == record->fields.size()) record->fields.emplace_back();
        field = &record->fields[kept++];
      }
      bool quoted = false;
      end = ReadField(record, field, &quoted);
      any_quoted = any_quoted || quoted;
      ++record->field_count;
    }
    record->fields.resize(kept);
    const bool blank_line = record->field_count == 1 && !any_quoted &&
                            record->fields[0].find_first_not_of(" \t") ==
                                std::string::npos &&
                            !record->defect.has_value();
    if (!blank_line) return true;
  }
  return false;
}

}  // namespace loyalty::ctl
