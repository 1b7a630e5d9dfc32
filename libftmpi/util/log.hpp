// Logging for every ftmpi program and library: spdlog, one named logger per component,
// level from FTMPI_LOG_LEVEL (trace, debug, info, warn, error, off; default info).
// Messages go to stderr so that an application's stdout stays its own.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace ftmpi {

// The logger for `component` ("launch", "proxy", ...), created on first use.
// Thread-safe.  Lines read "ftmpi-<component>: <level>: <message>".
std::shared_ptr<spdlog::logger> logger(std::string_view component);

// Parses a level name as accepted in FTMPI_LOG_LEVEL; false for an unknown name.
bool parse_log_level(std::string_view name, spdlog::level::level_enum& level) noexcept;

// Sets the level of every ftmpi logger, present and future.
void set_log_level(spdlog::level::level_enum level);

}  // namespace ftmpi
