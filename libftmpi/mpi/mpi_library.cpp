#include "mpi/mpi_library.hpp"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace ftmpi {
namespace {

int visit(dl_phdr_info* info, std::size_t /*size*/, void* data) {
  auto* found = static_cast<AppIdentity*>(data);
  const char* name = info->dlpi_name;
  if (name == nullptr || std::strstr(name, "/libmpi.so") == nullptr) {
    return 0;
  }
  std::uint64_t size = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD) {
      size = std::max<std::uint64_t>(size, ph.p_vaddr + ph.p_memsz);
    }
  }
  found->mpi_size = size;
  struct stat st {};
  if (::stat(name, &st) == 0) {
    found->mpi_inode = st.st_ino;
  }
  return 1;
}

}  // namespace

AppIdentity local_mpi_library() noexcept {
  AppIdentity me;
  dl_iterate_phdr(&visit, &me);
  std::size_t count = 0;
  const char* const* names = predefined_symbols(count);
  count = std::min(count, k_max_predefined);
  me.predefined_count = static_cast<std::uint32_t>(count);
  for (std::size_t i = 0; i < count; ++i) {
    // The address the program itself uses: a copy-relocated object lives in the
    // executable, and dlsym finds that copy first.  0 where this libmpi lacks the name.
    me.predefined[i] = reinterpret_cast<std::uintptr_t>(::dlsym(RTLD_DEFAULT, names[i]));
  }
  return me;
}

}  // namespace ftmpi
