#include "program_lookup.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> find_program(std::string_view name, std::string_view search_path) {
  if (name.empty()) {
    return invalid_argument("empty program name");
  }
  if (name.find('/') != std::string_view::npos) {
    const fs::path path(name);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return not_found(fmt::format("program '{}' does not exist", name));
    }
    if (!is_executable_file(path)) {
      return invalid_argument(
          fmt::format("program '{}' is not an executable file (check its permissions)", name));
    }
    return fs::absolute(path, ec).lexically_normal().string();
  }
  std::string_view rest = search_path;
  while (true) {
    const auto colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    const fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / std::string(name);
    if (is_executable_file(candidate)) {
      std::error_code ec;
      return fs::absolute(candidate, ec).lexically_normal().string();
    }
    if (colon == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(colon + 1);
  }
  return not_found(fmt::format(
      "program '{}' not found in PATH (give its path, e.g. ./{}, or add its folder to PATH)", name,
      name));
}

}  // namespace ftmpi
