// The one function the generated stubs for uncovered MPI calls need.  Deliberately
// free of mpi.h: the stubs are defined with variadic signatures that would clash with
// its prototypes.
#pragma once

namespace ftmpi {

// A call ftmpi does not cover: says so on stderr, naming it, and stops the job.
[[noreturn]] void unsupported_call(const char* call) noexcept;

}  // namespace ftmpi
