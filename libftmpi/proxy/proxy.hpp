// The rank proxy (ftmpi-proxy): in transparent mode, what mpirun starts for each
// application rank.  It initialises the real MPI (joining the job world as an
// application rank, sampling for the predictor), starts the application process in a
// PID namespace of its own with libftmpi preloaded and a channel to talk through, and
// performs the application's MPI calls until it exits; it exits with the application's
// status.
//
//   ftmpi-proxy [--] PROGRAM [ARGS...]
#pragma once

extern "C" {
// The whole program; main() of ftmpi-proxy calls it.  Never throws.
int ftmpi_proxy_main(int argc, char** argv) noexcept;
}
