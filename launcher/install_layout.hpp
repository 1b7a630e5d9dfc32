// Where ftmpi-launch finds the rest of ftmpi: beside itself (bin/) and in ../lib, the
// same in the build tree (build/bin, build/lib) and in an installation.
#pragma once

#include <string>

#include "util/status.hpp"

namespace ftmpi {

struct InstallLayout {
  std::string rank_helper;  // bin/ftmpi-rank
  std::string predictor;    // bin/ftmpi-predictor
  std::string libftmpi;     // lib/libftmpi.so
  std::string proxy;        // bin/ftmpi-proxy (transparent mode)
  std::string cluster;      // bin/ftmpi-cluster (simulated nodes; checked when used)
  std::string noded;        // bin/ftmpi-noded (node daemons of --spares; checked when used)
  std::string model;        // share/ftmpi/models/default.json (the predictor's; checked when used)
};

// The layout around the running executable; not_found naming the missing file when
// the installation is incomplete.
Result<InstallLayout> find_install_layout();

}  // namespace ftmpi
