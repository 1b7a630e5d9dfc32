#include "util/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ftmpi {

bool read_text(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path);
  if (!in) {
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

std::optional<std::int64_t> read_number(const std::filesystem::path& path) {
  std::ifstream in(path);
  long long value = 0;
  if (!(in >> value)) {
    return std::nullopt;
  }
  return value;
}

std::int64_t keyed_value(const std::string& text, std::string_view key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(key.size()));
      long long value = -1;
      if (fields >> value) {
        return value;
      }
    }
  }
  return -1;
}

bool exists_but_not_regular(const std::string& path) noexcept {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

Status write_file_atomically(const std::string& path, std::string_view text) {
  // The rename would put a regular file in the place of a device (as root: /dev/null),
  // a FIFO or a socket; a directory makes it fail after the temporary file was written.
  if (exists_but_not_regular(path)) {
    return io_error("cannot write " + path + ": not a regular file; name a file to write");
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return io_error("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return errno_status("cannot rename " + tmp, errno);
  }
  return {};
}

Status beat(const std::string& path, std::string_view text) {
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0) {
    return {};
  }
  if (errno != ENOENT) {
    return errno_status("cannot touch " + path, errno);
  }
  return write_file_atomically(path, text);
}

std::vector<std::filesystem::directory_entry> directory_entries(const std::filesystem::path& dir,
                                                                std::error_code& ec) {
  std::vector<std::filesystem::directory_entry> out;
  ec.clear();
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(*it);
  }
  return out;
}

double seconds_since_written(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto written = fs::last_write_time(path, ec);
  if (ec) {
    return -1;
  }
  return std::chrono::duration<double>(fs::file_time_type::clock::now() - written).count();
}

char proc_state(const std::string& stat_file) {
  std::ifstream in(stat_file);
  std::string line;
  std::getline(in, line);
  const std::size_t paren = line.rfind(") ");
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

}  // namespace ftmpi
