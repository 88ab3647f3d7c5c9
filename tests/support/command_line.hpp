// command_line.hpp - runs a program of the build (the wdmlab command line) from a test, and what
// such tests share: a scratch directory per test, files read whole, lines of the output.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace wdmlab::test {

// Runs `program arguments` through the shell; returns its exit status (-1 if it did not exit
// normally) and its standard output and error, interleaved.
inline std::pair<int, std::string> run_program(const std::string& program, const std::string& arguments) {
  const std::string command = program + " " + arguments + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t count = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), count);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// The whole file, or "" if it cannot be read.
inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The first line of `output` that starts with `prefix` (without its newline), or "".
inline std::string line_of(const std::string& output, const std::string& prefix) {
  const std::size_t at = output.find(prefix);
  return at == std::string::npos ? std::string() : output.substr(at, output.find('\n', at) - at);
}

// The text after "REPLAY:  wdmlab " in the output, up to the end of its line: the arguments
// that make the run again.
inline std::string replay_arguments(const std::string& output) {
  const std::string marker = "REPLAY:  wdmlab ";
  const std::size_t at = output.find(marker);
  if (at == std::string::npos) return {};
  const std::size_t start = at + marker.size();
  return output.substr(start, output.find('\n', start) - start);
}

// A directory of its own for the running test, removed with everything in it at the end.
class ScratchDirectory {
 public:
  ScratchDirectory()
      : path_(std::filesystem::temp_directory_path() /
              ("wdmlab_cli_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace wdmlab::test
