// The application's side of transparent mode.  A process started by a rank proxy
// (FTMPI_CHANNEL set) never initialises the real MPI: every generated wrapper starts
// with `if (g_forwarding)` and hands its arguments, as raw 64-bit words, to the proxy
// through the shared-memory channel (channel/channel.hpp); the proxy performs the call
// and writes the results into this process's memory.  Calls the proxy cannot perform
// stop the job with their name; a few (MPI_Get_address, MPI_Alloc_mem, ...) are
// answered here.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "mpi/mpi_calls.hpp"

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming)
namespace ftmpi {

// True in an application process whose MPI calls go to a rank proxy.  Set before main
// runs (a constructor reads FTMPI_CHANNEL) and never changed.
extern bool g_forwarding;

template <class T>
[[nodiscard]] std::uint64_t to_word(T value) noexcept {
  if constexpr (std::is_pointer_v<T>) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(value));
  } else {
    static_assert(std::is_integral_v<T>, "MPI arguments are integers, handles or pointers");
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
  }
}

template <class H>
[[nodiscard]] H handle_from_word(std::uint64_t word) noexcept {
  return reinterpret_cast<H>(static_cast<std::uintptr_t>(word));
}

// Performs a call in the proxy; returns its MPI return value (or its result word for
// the calls that return a handle or an MPI_Fint).  A call the proxy refuses (a
// user-defined callback, an unreadable buffer) is reported on stderr and stops the job.
std::uint64_t forward_words(CallId id, const std::uint64_t* words, std::size_t count) noexcept;

template <class... Args>
std::uint64_t forward(CallId id, Args... args) noexcept {
  const std::uint64_t words[] = {to_word(args)..., 0};
  return forward_words(id, words, sizeof...(Args));
}

// A covered call that transparent mode cannot perform (its name and why are in
// docs/transparent.md): says so and stops the job.
[[noreturn]] void transparent_unsupported(const char* call) noexcept;

// Answered in the application process.
int appside_MPI_Get_address(const void* location, MPI_Aint* address) noexcept;
int appside_MPI_Alloc_mem(MPI_Aint size, MPI_Info info, void* baseptr) noexcept;
int appside_MPI_Free_mem(void* base) noexcept;

// MPI_Initialized / MPI_Finalized in the application process.
[[nodiscard]] bool forwarding_initialized() noexcept;
[[nodiscard]] bool forwarding_finalized() noexcept;

// NOLINTEND(readability-identifier-naming)
}  // namespace ftmpi
