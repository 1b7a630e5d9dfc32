// Which pages of a memory range were written since a moment: the pre-copy of a
// migration (docs/migration.md, "Pre-copy") copies an application's arena while it
// runs and, at the final dump, only what was written since.
//
// The kernel's soft-dirty bits would do (CRIU's own pre-dump uses them), but kernels
// without CONFIG_MEM_SOFT_DIRTY are common; this uses what Linux 6.7 and later offer
// everywhere instead: a userfaultfd registered for asynchronous write protection
// (UFFD_FEATURE_WP_ASYNC: a write to a protected page is let through by the kernel
// itself, no thread handles faults) and the PAGEMAP_SCAN ioctl on /proc/PID/pagemap,
// which lists the pages written since they were last protected and protects them again.
//
// Only writes through the page tables of the process that registered the range are
// seen; the userfaultfd must stay open (in any process) for the registration to last.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

// A range of bytes [first, second) as offsets from the start of the tracked range.
using ByteRange = std::pair<std::uint64_t, std::uint64_t>;

// A userfaultfd of this process with [base, base + bytes) registered for asynchronous
// write protection (nothing is protected yet): its descriptor (close-on-exec), or -errno:
// -EINVAL where the kernel lacks the features (before 6.7), -EBUSY where the range is
// registered with another userfaultfd already.  No allocation: the application side
// calls it.
int track_writes(void* base, std::uint64_t bytes) noexcept;

// Scans the pages of [base, base + bytes) of the process whose pagemap is `pagemap_fd`
// (/proc/PID/pagemap, or /proc/self/pagemap) and protects them all again: the pages
// written since the last scan are appended to `written` (offsets from base; adjacent
// pages merged).  A first scan only starts the tracking (everything counts as written).
Status scan_written(int pagemap_fd, std::uint64_t base, std::uint64_t bytes,
                    std::vector<ByteRange>& written) noexcept;

// Sorts `ranges` and merges the ones that overlap or touch.
void merge_ranges(std::vector<ByteRange>& ranges);

}  // namespace ftmpi
