#include "install_layout.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#ifndef FTMPI_INSTALL_LIBDIR
#define FTMPI_INSTALL_LIBDIR "lib"
#endif

namespace ftmpi {

Result<InstallLayout> find_install_layout() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return io_error(fmt::format("cannot find the running executable: {}", ec.message()));
  }
  const fs::path bin = exe.parent_path();
  // The build tree uses lib/; an installation uses its libdir (lib/x86_64-linux-gnu
  // under /usr on Debian).
  fs::path lib = bin.parent_path() / FTMPI_INSTALL_LIBDIR / "libftmpi.so";
  if (!fs::exists(lib, ec)) {
    lib = bin.parent_path() / "lib" / "libftmpi.so";
  }
  InstallLayout layout{(bin / "ftmpi-rank").string(),
                       (bin / "ftmpi-predictor").string(),
                       lib.string(),
                       (bin / "ftmpi-proxy").string(),
                       (bin / "ftmpi-cluster").string(),
                       (bin / "ftmpi-noded").string(),
                       (bin.parent_path() / "share/ftmpi/models/default.json").string()};
  for (const std::string* path :
       {&layout.rank_helper, &layout.predictor, &layout.libftmpi, &layout.proxy}) {
    if (!fs::exists(*path, ec)) {
      return not_found(fmt::format(
          "{} is missing: the ftmpi installation is incomplete (reinstall, or rebuild)", *path));
    }
  }
  return layout;
}

}  // namespace ftmpi
