// Tests of the question loyaltyctl asks before a large or irreversible write
// (clients/loyaltyctl/confirmation.h): which answers agree, that anything
// else declines, and the refusal without a terminal.
#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "catch2/catch.hpp"
#include "clients/loyaltyctl/confirmation.h"

namespace loyalty::ctl {
namespace {

// The outcome of asking "Close member ann?" with `typed` on stdin.
absl::Status AnswerWith(const std::string& typed) {
  std::istringstream in(typed);
  std::ostringstream out;
  return AskOperator(in, out, "Close member ann?", "not closed");
}

TEST_CASE("only y or yes agrees, in any case and with blanks around",
          "[ctl][confirmation]") {
  for (const std::string typed :
       {"y\n", "Y\n", "yes\n", "YES\n", "  Yes \n", "y\r\n", "y"}) {
    INFO("typed: " << typed);
    CHECK(AnswerWith(typed).ok());
  }
}

TEST_CASE("any other answer declines with the command's message",
          "[ctl][confirmation]") {
  for (const std::string typed :
       {"\n", "n\n", "no\n", "N\n", "ye\n", "yess\n", "y y\n", "sure\n"}) {
    INFO("typed: " << typed);
    const absl::Status answer = AnswerWith(typed);
    CHECK(answer.code() == absl::StatusCode::kInvalidArgument);
    CHECK(answer.message() == "not closed");
  }
}

TEST_CASE("the end of input declines and ends the question's line",
          "[ctl][confirmation]") {
  std::istringstream in("");
  std::ostringstream out;
  const absl::Status answer = AskOperator(in, out, "Close?", "not closed");
  CHECK(answer.code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.str() == "Close? [y/N] \n");
}

TEST_CASE("the question offers y and defaults to no", "[ctl][confirmation]") {
  std::istringstream in("y\n");
  std::ostringstream out;
  REQUIRE(AskOperator(in, out, "Adjust member ann by +20000 points?",
                      "not adjusted")
              .ok());
  CHECK(out.str() == "Adjust member ann by +20000 points? [y/N] ");
}

TEST_CASE("only the first line is the answer", "[ctl][confirmation]") {
  std::istringstream in("n\ny\n");
  std::ostringstream out;
  CHECK_FALSE(AskOperator(in, out, "Close?", "not closed").ok());
  std::string rest;
  std::getline(in, rest);
  CHECK(rest == "y");
}

TEST_CASE("without a terminal on stdin the write needs --yes",
          "[ctl][confirmation]") {
  // Stdin is whatever ran the tests; put /dev/null there for the check.
  const int saved_stdin = ::dup(STDIN_FILENO);
  REQUIRE(saved_stdin >= 0);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  REQUIRE(null_fd >= 0);
  REQUIRE(::dup2(null_fd, STDIN_FILENO) == STDIN_FILENO);
  ::close(null_fd);
  const absl::Status can_answer = CheckOperatorCanAnswer(
      "member close: closing member ann cannot be undone");
  REQUIRE(::dup2(saved_stdin, STDIN_FILENO) == STDIN_FILENO);
  ::close(saved_stdin);

  CHECK(can_answer.code() == absl::StatusCode::kInvalidArgument);
  CHECK(can_answer.message() ==
        "member close: closing member ann cannot be undone and needs --yes "
        "when stdin is not a terminal");
}

}  // namespace
}  // namespace loyalty::ctl
