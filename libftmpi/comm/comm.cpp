// The Comm interface's one out-of-line member, so its vtable lives in this object file.
#include "comm/comm.hpp"

namespace ftmpi {

Comm::~Comm() = default;

}  // namespace ftmpi
