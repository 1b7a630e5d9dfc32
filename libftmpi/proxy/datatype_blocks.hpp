// The bytes a buffer of `count` elements of a datatype really covers: the contiguous
// blocks of its type map.  A column of a matrix (MPI_Type_vector) spans the whole
// matrix but covers one value per row; copying only the blocks between the
// application and its proxy moves kilobytes where the span is megabytes.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ftmpi {

struct Block {
  std::int64_t offset = 0;  // bytes from the start of the copied span
  std::size_t len = 0;
};

// What MPI says of a (real) datatype's layout.
struct TypeLayout {
  MPI_Aint lb = 0;
  MPI_Aint extent = 0;
  MPI_Aint true_lb = 0;
  MPI_Aint true_extent = 0;
  int size = 0;
};
// None when MPI cannot say (not a datatype).
std::optional<TypeLayout> type_layout(MPI_Datatype type);

// More blocks than this are copied as one span (the iovecs would cost more).
inline constexpr std::size_t k_max_blocks = 16384;

// The blocks of `count` elements of (real) `type`, sorted, adjacent ones merged, with
// offsets relative to `lower` (the span's first byte relative to the buffer address).
// None when the type map cannot be read (a combiner not handled here, such as
// subarrays) or has more than k_max_blocks blocks: copy the whole span then.
std::optional<std::vector<Block>> datatype_blocks(long count, MPI_Datatype type,
                                                  std::int64_t lower);

}  // namespace ftmpi
