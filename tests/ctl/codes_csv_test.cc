// The CSV of `loyaltyctl coupon generate` (clients/loyaltyctl/codes_csv.h):
// codes in batch order as they stream in, to a partial file that takes the
// target's name only once the batch is complete.
#include "clients/loyaltyctl/codes_csv.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace loyalty::ctl {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

struct ScratchDir {
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "codes-csv-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

TEST_CASE(
    "the codes CSV has a header and one line per code, numbered in "
    "batch order",
    "[ctl][generate]") {
  CHECK(CodesCsvHeader() == "batch_id,index,code\n");
  CHECK(CodesCsvLines("flyer", 10,
                      {"AAAA-BBBB-CCCC-DDDD-E", "FFFF-GGGG-HHHH-JJJJ-K"}) ==
        "flyer,10,AAAA-BBBB-CCCC-DDDD-E\nflyer,11,FFFF-GGGG-HHHH-JJJJ-K\n");
}

TEST_CASE("the file appears under its name only once every code is in",
          "[ctl][generate]") {
  ScratchDir dir;
  const std::string path = dir.path + "/codes.csv";
  auto csv = CodesCsvWriter::Create(path, "b", 3);
  REQUIRE(csv.ok());
  REQUIRE((*csv)->Append(0, {"C0", "C1"}).ok());
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(ReadAll(path + ".partial") == "batch_id,index,code\nb,0,C0\nb,1,C1\n");
  // Not complete yet: Commit refuses and the target stays absent.
  CHECK(absl::IsDataLoss((*csv)->Commit()));
  CHECK_FALSE(std::filesystem::exists(path));
  REQUIRE((*csv)->Append(2, {"C2"}).ok());
  REQUIRE((*csv)->Commit().ok());
  CHECK(ReadAll(path) == "batch_id,index,code\nb,0,C0\nb,1,C1\nb,2,C2\n");
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST_CASE(
    "a chunk out of order or past the batch's count is refused and "
    "writes nothing",
    "[ctl][generate]") {
  ScratchDir dir;
  const std::string path = dir.path + "/codes.csv";
  auto csv = CodesCsvWriter::Create(path, "b", 3);
  REQUIRE(csv.ok());
  REQUIRE((*csv)->Append(0, {"C0"}).ok());
  CHECK(absl::IsDataLoss((*csv)->Append(2, {"C2"})));              // A gap.
  CHECK(absl::IsDataLoss((*csv)->Append(0, {"C0"})));              // Twice.
  CHECK(absl::IsDataLoss((*csv)->Append(1, {"C1", "C2", "C3"})));  // Past 3.
  CHECK((*csv)->written() == 1);
  CHECK(ReadAll(path + ".partial") == "batch_id,index,code\nb,0,C0\n");
}

TEST_CASE(
    "a failed run leaves the target as it was; a rerun writes it anew "
    "whole",
    "[ctl][generate]") {
  ScratchDir dir;
  const std::string path = dir.path + "/codes.csv";
  {
    std::ofstream earlier(path);
    earlier << "an earlier file\n";
  }
  {
    auto cut = CodesCsvWriter::Create(path, "b", 2);
    REQUIRE(cut.ok());
    REQUIRE((*cut)->Append(0, {"C0"}).ok());
    // The stream broke here: no Commit.
  }
  CHECK(ReadAll(path) == "an earlier file\n");
  CHECK(ReadAll(path + ".partial") == "batch_id,index,code\nb,0,C0\n");
  auto rerun = CodesCsvWriter::Create(path, "b", 2);
  REQUIRE(rerun.ok());
  REQUIRE((*rerun)->Append(0, {"C0", "C1"}).ok());
  REQUIRE((*rerun)->Commit().ok());
  CHECK(ReadAll(path) == "batch_id,index,code\nb,0,C0\nb,1,C1\n");
}

TEST_CASE(
    "a run refused before any code leaves no partial file, and an "
    "unwritable --out is named",
    "[ctl][generate]") {
  ScratchDir dir;
  const std::string path = dir.path + "/codes.csv";
  { REQUIRE(CodesCsvWriter::Create(path, "b", 2).ok()); }
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  auto nowhere =
      CodesCsvWriter::Create(dir.path + "/no/such/dir/codes.csv", "b", 2);
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(nowhere.status().message().find("--out") != absl::string_view::npos);
}

}  // namespace
}  // namespace loyalty::ctl
