// Exit statuses of ftmpi's tools (ftmpi-launch passes the application's own through
// otherwise).  From sysexits.h, so they rarely collide with an application's codes.
#pragma once

namespace ftmpi {

inline constexpr int k_exit_usage = 64;          // bad command line
inline constexpr int k_exit_corrupt = 65;        // damaged input (a checkpoint)
inline constexpr int k_exit_no_input = 66;       // a program, checkpoint, cluster... is missing
inline constexpr int k_exit_unavailable = 69;    // a requested feature is not available here
inline constexpr int k_exit_software = 70;       // an internal error
inline constexpr int k_exit_cannot_create = 73;  // an output cannot be created
inline constexpr int k_exit_temporary = 75;      // try again later

}  // namespace ftmpi
