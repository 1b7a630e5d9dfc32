// Small file helpers shared by the tools.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

// The whole of a small file (a /proc or /sys counter file); false when it cannot be read.
bool read_text(const std::filesystem::path& path, std::string& out);

// The number a file starts with ("1234\n"), or nothing.
std::optional<std::int64_t> read_number(const std::filesystem::path& path);

// The number after `key` on the first line of `text` starting with it ("MemTotal:   1234
// kB" for "MemTotal:"); -1 when there is none.
std::int64_t keyed_value(const std::string& text, std::string_view key);

// Writes `text` to PATH.tmp and renames it over `path`: a reader sees the old file or
// the whole new one, never a part.  Refuses (io_error) a `path` that exists and
// is not a regular file (a device, a directory), which the rename would replace.
Status write_file_atomically(const std::string& path, std::string_view text);

// A heartbeat: `path` made holding `text` (atomically) if it does not exist, else only its
// modification time set to now.  Rewriting the file instead would free and allocate a
// block each time, and on a file system that discards freed blocks at once (ext4's
// `discard` on a thin virtual disk) every such free waits for the disk
// (docs/migration.md, "Pre-copy").
Status beat(const std::string& path, std::string_view text);

// Whether `path` exists and is not a regular file (a directory, a FIFO, a device; links
// followed): what must not be read as a file's contents (a FIFO waits for a writer for
// ever) nor replaced by one.
bool exists_but_not_regular(const std::string& path) noexcept;

// The entries of `dir`, in the order the directory gives them.  A directory that cannot
// be opened, or that fails midway (a /proc/PID directory whose process ended), sets `ec`
// and gives what was read; unlike a range-for over std::filesystem::directory_iterator,
// whose increment throws, it never throws a filesystem_error.
std::vector<std::filesystem::directory_entry> directory_entries(const std::filesystem::path& dir,
                                                                std::error_code& ec);

// Seconds since `path` was last written (a heartbeat's age); -1 if it does not exist.
double seconds_since_written(const std::string& path);

// The state letter of a /proc stat file (/proc/PID/stat, /proc/PID/task/TID/stat: "R",
// "S", "T", "Z", ...; the field after the command, which may hold spaces), or '?' when
// it cannot be read.
char proc_state(const std::string& stat_file);

}  // namespace ftmpi
