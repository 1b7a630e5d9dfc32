#include "trace_path.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

namespace ftmpi {

namespace {

std::string stamped_name(const std::string& program, const char* suffix) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32] = {};
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return fmt::format("{}-{}{}", std::filesystem::path(program).filename().string(), stamp, suffix);
}

}  // namespace

std::string default_trace_name(const std::string& program) {
  return stamped_name(program, ".ftmpi.h5");
}

std::string default_checkpoint_dir_name(const std::string& program) {
  return stamped_name(program, ".ftmpi-ckpt");
}

Result<std::string> check_trace_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec).lexically_normal();
  if (ec) {
    return io_error(fmt::format("cannot resolve the trace path {}: {}", path, ec.message()));
  }
  if (fs::is_directory(absolute, ec)) {
    return invalid_argument(fmt::format("the trace path {} is a directory; name a file", path));
  }
  const bool existed = fs::exists(absolute, ec);
  const int fd = ::open(absolute.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return io_error(
        fmt::format("cannot write the trace {}: {}", absolute.string(), std::strerror(err)));
  }
  ::close(fd);
  if (!existed) {
    ::unlink(absolute.c_str());
  }
  return absolute.string();
}

}  // namespace ftmpi
