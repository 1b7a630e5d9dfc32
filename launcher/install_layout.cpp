#include "install_layout.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace ftmpi {

Result<InstallLayout> find_install_layout() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return io_error(fmt::format("cannot find the running executable: {}", ec.message()));
  }
  const fs::path bin = exe.parent_path();
  InstallLayout layout{(bin / "ftmpi-rank").string(), (bin / "ftmpi-predictor").string(),
                       (bin.parent_path() / "lib" / "libftmpi.so").string()};
  for (const std::string* path : {&layout.rank_helper, &layout.predictor, &layout.libftmpi}) {
    if (!fs::exists(*path, ec)) {
      return not_found(fmt::format(
          "{} is missing: the ftmpi installation is incomplete (reinstall, or rebuild)", *path));
    }
  }
  return layout;
}

}  // namespace ftmpi
