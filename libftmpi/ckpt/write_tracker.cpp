#include "ckpt/write_tracker.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

// The kernel ABI of Linux 6.7 (include/uapi/linux/userfaultfd.h and fs.h), for the
// older headers of the build machine; the values are fixed by the ABI.
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {  // NOLINT(readability-identifier-naming): the kernel's name
  __u64 start;
  __u64 end;
  __u64 categories;
};
struct pm_scan_arg {  // NOLINT(readability-identifier-naming): the kernel's name
  __u64 size;
  __u64 flags;
  __u64 start;
  __u64 end;
  __u64 walk_end;
  __u64 vec;
  __u64 vec_len;
  __u64 max_pages;
  __u64 category_inverted;
  __u64 category_mask;
  __u64 category_anyof_mask;
  __u64 return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN (1 << 1)
#endif

namespace ftmpi {

int track_writes(void* base, std::uint64_t bytes) noexcept {
  // User-mode faults only: allowed without privilege, and asynchronous protection never
  // hands a fault to a handler anyway.
  const int fd =
      static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
  if (fd < 0) {
    return -errno;
  }
  uffdio_api api{};
  api.api = UFFD_API;
  api.features =
      UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED | UFFD_FEATURE_WP_HUGETLBFS_SHMEM;
  uffdio_register reg{};
  reg.range.start = reinterpret_cast<std::uintptr_t>(base);
  reg.range.len = bytes;
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (::ioctl(fd, UFFDIO_API, &api) != 0 || ::ioctl(fd, UFFDIO_REGISTER, &reg) != 0) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

Status scan_written(int pagemap_fd, std::uint64_t base, std::uint64_t bytes,
                    std::vector<ByteRange>& written) noexcept {
  std::array<page_region, 512> regions{};
  pm_scan_arg arg{};
  arg.size = sizeof arg;
  arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
  arg.start = base;
  arg.end = base + bytes;
  arg.vec = reinterpret_cast<std::uintptr_t>(regions.data());
  arg.vec_len = regions.size();
  arg.category_mask = PAGE_IS_WRITTEN;
  arg.return_mask = PAGE_IS_WRITTEN;
  try {
    for (;;) {
      const int n = ::ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);
      if (n < 0) {
        return errno_status("PAGEMAP_SCAN", errno);
      }
      for (int i = 0; i < n; ++i) {
        const page_region& r = regions[static_cast<std::size_t>(i)];
        if (!written.empty() && written.back().second == r.start - base) {
          written.back().second = r.end - base;
        } else {
          written.emplace_back(r.start - base, r.end - base);
        }
      }
      // A full vector may have stopped the walk early: on from where it ended.
      if (arg.walk_end >= arg.end || static_cast<std::size_t>(n) < regions.size()) {
        return {};
      }
      arg.start = arg.walk_end;
    }
  } catch (...) {  // out of memory
    return internal_error("out of memory listing written pages");
  }
}

void merge_ranges(std::vector<ByteRange>& ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::size_t out = 0;
  for (const ByteRange& r : ranges) {
    if (out > 0 && r.first <= ranges[out - 1].second) {
      ranges[out - 1].second = std::max(ranges[out - 1].second, r.second);
    } else {
      ranges[out++] = r;
    }
  }
  ranges.resize(out);
}

}  // namespace ftmpi
