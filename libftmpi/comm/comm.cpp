// Out-of-line anchor for the Comm interface (keeps its vtable in one object file).
#include "comm/comm.hpp"
