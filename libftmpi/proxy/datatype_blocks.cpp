#include "proxy/datatype_blocks.hpp"

#include <algorithm>

// NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker)
namespace ftmpi {

std::optional<TypeLayout> type_layout(MPI_Datatype type) {
  TypeLayout t;
  if (PMPI_Type_get_extent(type, &t.lb, &t.extent) != MPI_SUCCESS ||
      PMPI_Type_get_true_extent(type, &t.true_lb, &t.true_extent) != MPI_SUCCESS ||
      PMPI_Type_size(type, &t.size) != MPI_SUCCESS) {
    return std::nullopt;
  }
  return t;
}

namespace {

class Flattener {
 public:
  explicit Flattener(std::vector<Block>& out) : m_out(out) {}

  // Appends the blocks of `count` elements of `type` whose first starts at `base`.
  bool add(MPI_Datatype type, std::int64_t base, long count) {
    if (count <= 0) {
      return true;
    }
    const auto layout = type_layout(type);
    if (!layout) {
      return false;
    }
    if (layout->size == 0) {
      return true;
    }
    if (static_cast<MPI_Aint>(layout->size) == layout->true_extent) {
      // No gaps inside an element: one block each (merged later when they touch).
      for (long i = 0; i < count; ++i) {
        if (!push(base + i * layout->extent + layout->true_lb,
                  static_cast<std::size_t>(layout->size))) {
          return false;
        }
      }
      return true;
    }
    int ints = 0;
    int aints = 0;
    int types = 0;
    int combiner = 0;
    if (PMPI_Type_get_envelope(type, &ints, &aints, &types, &combiner) != MPI_SUCCESS ||
        combiner == MPI_COMBINER_NAMED) {
      return false;
    }
    std::vector<int> i(static_cast<std::size_t>(ints));
    std::vector<MPI_Aint> a(static_cast<std::size_t>(aints));
    std::vector<MPI_Datatype> t(static_cast<std::size_t>(types));
    if (PMPI_Type_get_contents(type, ints, aints, types, i.data(), a.data(), t.data()) !=
        MPI_SUCCESS) {
      return false;
    }
    bool ok = true;
    for (long e = 0; e < count && ok; ++e) {
      ok = element(combiner, i, a, t, base + e * layout->extent);
    }
    for (MPI_Datatype& child : t) {  // get_contents returns new handles for derived types
      int ni = 0;
      int na = 0;
      int nt = 0;
      int c = 0;
      PMPI_Type_get_envelope(child, &ni, &na, &nt, &c);
      if (c != MPI_COMBINER_NAMED) {
        PMPI_Type_free(&child);
      }
    }
    return ok;
  }

 private:
  static std::int64_t extent_of(MPI_Datatype type) {
    const auto layout = type_layout(type);
    return layout ? layout->extent : 0;
  }

  bool element(int combiner, const std::vector<int>& i, const std::vector<MPI_Aint>& a,
               const std::vector<MPI_Datatype>& t, std::int64_t base) {
    switch (combiner) {
      case MPI_COMBINER_DUP:
      case MPI_COMBINER_RESIZED:  // the element's own layout; its extent is the outer one's
        return add(t[0], base, 1);
      case MPI_COMBINER_CONTIGUOUS:
        return add(t[0], base, i[0]);
      case MPI_COMBINER_VECTOR:
      case MPI_COMBINER_HVECTOR: {
        const std::int64_t stride =
            combiner == MPI_COMBINER_VECTOR ? std::int64_t{i[2]} * extent_of(t[0]) : a[0];
        for (int b = 0; b < i[0]; ++b) {
          if (!add(t[0], base + b * stride, i[1])) {
            return false;
          }
        }
        return true;
      }
      case MPI_COMBINER_INDEXED:
      case MPI_COMBINER_HINDEXED: {
        const int n = i[0];
        for (int b = 0; b < n; ++b) {
          const std::int64_t displ = combiner == MPI_COMBINER_INDEXED
                                         ? std::int64_t{i[1 + n + b]} * extent_of(t[0])
                                         : a[static_cast<std::size_t>(b)];
          if (!add(t[0], base + displ, i[1 + b])) {
            return false;
          }
        }
        return true;
      }
      case MPI_COMBINER_INDEXED_BLOCK:
      case MPI_COMBINER_HINDEXED_BLOCK: {
        const int n = i[0];
        for (int b = 0; b < n; ++b) {
          const std::int64_t displ = combiner == MPI_COMBINER_INDEXED_BLOCK
                                         ? std::int64_t{i[2 + b]} * extent_of(t[0])
                                         : a[static_cast<std::size_t>(b)];
          if (!add(t[0], base + displ, i[1])) {
            return false;
          }
        }
        return true;
      }
      case MPI_COMBINER_STRUCT: {
        const int n = i[0];
        for (int b = 0; b < n; ++b) {
          if (!add(t[static_cast<std::size_t>(b)], base + a[static_cast<std::size_t>(b)],
                   i[1 + b])) {
            return false;
          }
        }
        return true;
      }
      default:  // subarray, darray, Fortran types: copied as a whole span
        return false;
    }
  }

  bool push(std::int64_t offset, std::size_t len) {
    if (m_out.size() >= k_max_blocks * 4) {  // merging could not bring it down enough
      return false;
    }
    m_out.push_back({offset, len});
    return true;
  }

  std::vector<Block>& m_out;
};

}  // namespace

std::optional<std::vector<Block>> datatype_blocks(long count, MPI_Datatype type,
                                                  std::int64_t lower) {
  std::vector<Block> raw;
  if (!Flattener(raw).add(type, 0, count)) {
    return std::nullopt;
  }
  std::sort(raw.begin(), raw.end(),
            [](const Block& x, const Block& y) { return x.offset < y.offset; });
  std::vector<Block> merged;
  for (const Block& b : raw) {
    const std::int64_t end = b.offset + static_cast<std::int64_t>(b.len);
    if (!merged.empty() &&
        merged.back().offset + static_cast<std::int64_t>(merged.back().len) >= b.offset) {
      Block& last = merged.back();
      last.len = static_cast<std::size_t>(
          std::max(last.offset + static_cast<std::int64_t>(last.len), end) - last.offset);
    } else {
      merged.push_back(b);
    }
  }
  if (merged.size() > k_max_blocks) {
    return std::nullopt;
  }
  for (Block& b : merged) {
    b.offset -= lower;
  }
  return merged;
}

}  // namespace ftmpi
// NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)
