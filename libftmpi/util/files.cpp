#include "util/files.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace ftmpi {

Status write_file_atomically(const std::string& path, std::string_view text) {
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

}  // namespace ftmpi
