// ftmpi-reference: the serial reference for each example application.
//
//   ftmpi-reference jacobi2d [-n N] [-i ITERS]
//   ftmpi-reference cg       [-n N] [-i ITERS]
//   ftmpi-reference farm     [-t TASKS] [-n WORK] [-i ROUNDS]
//   ftmpi-reference memhog   [-m MIB] [-i ITERS] --ranks P
//
// Each prints "checksum: VALUE" exactly as the MPI application must.  The code is a
// separate, whole-grid implementation of the same mathematics (see docs/examples.md):
// it shares no code with examples/mpi_apps, only the documented summation order.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

constexpr long k_tile = 8;  // column tile width of the documented summation order

// A field with a ghost ring: (n + 2) x (n + 2), interior 1..n.
class Field {
 public:
  explicit Field(long n) : m_n(n), m_data(static_cast<std::size_t>((n + 2) * (n + 2)), 0.0) {}
  double& operator()(long i, long j) { return m_data[static_cast<std::size_t>(i * (m_n + 2) + j)]; }
  double operator()(long i, long j) const {
    return m_data[static_cast<std::size_t>(i * (m_n + 2) + j)];
  }
  [[nodiscard]] long n() const { return m_n; }

 private:
  long m_n;
  std::vector<double> m_data;
};

// Documented order: per row, per tile left to right; tiles in order; rows in order.
template <class Value>
double ordered_sum(long n, Value value) {
  double total = 0.0;
  for (long i = 1; i <= n; ++i) {
    double row = 0.0;
    for (long t = 0; t < n / k_tile; ++t) {
      double tile = 0.0;
      for (long j = 1 + t * k_tile; j <= (t + 1) * k_tile; ++j) {
        tile += value(i, j);
      }
      row += tile;
    }
    total += row;
  }
  return total;
}

void print_checksum(double value) {
  std::printf("checksum: %.17g\n", value);
}

int jacobi2d(long n, long iters) {
  Field u(n);
  Field next(n);
  for (Field* f : {&u, &next}) {
    for (long j = 0; j <= n + 1; ++j) {
      (*f)(0, j) = 1.0;
    }
    for (long i = 1; i <= n; ++i) {
      (*f)(i, 0) = static_cast<double>(n - (i - 1)) / static_cast<double>(n + 1);
    }
  }
  for (long i = 1; i <= n; ++i) {
    for (long j = 1; j <= n; ++j) {
      u(i, j) = static_cast<double>(((i - 1) * 31 + (j - 1) * 17) % 97) / 97.0;
    }
  }
  for (long it = 0; it < iters; ++it) {
    for (long i = 1; i <= n; ++i) {
      for (long j = 1; j <= n; ++j) {
        next(i, j) = 0.25 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1));
      }
    }
    std::swap(u, next);
  }
  print_checksum(ordered_sum(n, [&u](long i, long j) { return u(i, j); }));
  return 0;
}

int cg(long n, long iters) {
  Field x(n);
  Field r(n);
  Field p(n);
  Field q(n);
  for (long i = 1; i <= n; ++i) {
    for (long j = 1; j <= n; ++j) {
      r(i, j) = 1.0 + static_cast<double>(((i - 1) * 7 + (j - 1) * 13) % 11) / 11.0;
      p(i, j) = r(i, j);
    }
  }
  auto dot = [n](const Field& a, const Field& b) {
    return ordered_sum(n, [&a, &b](long i, long j) { return a(i, j) * b(i, j); });
  };
  double rr = dot(r, r);
  for (long k = 0; k < iters && rr > 0.0; ++k) {
    for (long i = 1; i <= n; ++i) {
      for (long j = 1; j <= n; ++j) {
        q(i, j) = 4.0 * p(i, j) - p(i - 1, j) - p(i + 1, j) - p(i, j - 1) - p(i, j + 1);
      }
    }
    const double alpha = rr / dot(p, q);
    for (long i = 1; i <= n; ++i) {
      for (long j = 1; j <= n; ++j) {
        x(i, j) = x(i, j) + alpha * p(i, j);
        r(i, j) = r(i, j) - alpha * q(i, j);
      }
    }
    const double rr_new = dot(r, r);
    const double beta = rr_new / rr;
    for (long i = 1; i <= n; ++i) {
      for (long j = 1; j <= n; ++j) {
        p(i, j) = r(i, j) + beta * p(i, j);
      }
    }
    rr = rr_new;
  }
  print_checksum(ordered_sum(n, [&x](long i, long j) { return x(i, j); }));
  return 0;
}

int farm(long tasks, long work, long rounds) {
  double checksum = 0.0;
  double seed = 0.25;
  std::vector<double> per_task(static_cast<std::size_t>(tasks));
  for (long round = 0; round < rounds; ++round) {
    for (long t = 0; t < tasks; ++t) {
      const long length = 1 + (t * 7 + round * 3) % 16;
      double sum = 0.0;
      for (long v = 0; v < length; ++v) {
        double x = std::fmod(
            seed + 0.618033988749895 * static_cast<double>(t + 1) + 0.1 * static_cast<double>(v),
            1.0);
        if (x == 0.0) {
          x = 0.5;
        }
        for (long m = 0; m < work; ++m) {
          x = 3.9 * x * (1.0 - x);
        }
        sum += x;
      }
      per_task[static_cast<std::size_t>(t)] = sum;
    }
    double round_sum = 0.0;
    for (const double s : per_task) {
      round_sum += s;
    }
    checksum += round_sum;
    seed = std::fmod(round_sum, 1.0);
  }
  print_checksum(checksum);
  return 0;
}

std::uint64_t splitmix(std::uint64_t z) {
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

int memhog(long mib, long write_mib, long iters, long ranks) {
  const std::size_t words = static_cast<std::size_t>(mib) * (1024 * 1024 / 8);
  const std::size_t written = write_mib > 0 && write_mib < mib
                                  ? static_cast<std::size_t>(write_mib) * (1024 * 1024 / 8)
                                  : words;
  std::vector<std::uint64_t> totals(static_cast<std::size_t>(iters), 0);
  std::vector<std::uint64_t> memory(words);
  for (long rank = 0; rank < ranks; ++rank) {
    for (std::size_t w = 0; w < words; ++w) {
      memory[w] = splitmix((static_cast<std::uint64_t>(rank) << 40U) ^ w);
    }
    for (long it = 0; it < iters; ++it) {
      const std::uint64_t salt = splitmix(static_cast<std::uint64_t>(it) + 1);
      std::uint64_t local = 0;
      for (std::size_t w = 0; w < words; ++w) {
        std::uint64_t v = memory[w] * 0x9e3779b97f4a7c15ULL + salt;
        v ^= v >> 29U;
        if (w < written) {
          memory[w] = v;
        }
        local += v * (2 * static_cast<std::uint64_t>(w) + 1);
      }
      totals[static_cast<std::size_t>(it)] += local;
    }
  }
  std::uint64_t checksum = 0;
  for (const std::uint64_t total : totals) {
    checksum = checksum * 31 + total;
  }
  std::printf("checksum: %llu\n", static_cast<unsigned long long>(checksum));
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app("Serial reference checksums of ftmpi's example MPI applications", "ftmpi-reference");
  app.require_subcommand(1);
  long n = 0;
  long iters = 0;
  long tasks = 64;
  long mib = 64;
  long write_mib = 0;
  long ranks = 1;
  long sleep_ms = 0;  // accepted for symmetry with the applications; ignored

  auto* jac = app.add_subcommand("jacobi2d", "2-D Jacobi heat stencil");
  jac->add_option("-n,--size", n)->default_val(256);
  jac->add_option("-i,--iters", iters)->default_val(100);
  jac->add_option("-s,--sleep-ms", sleep_ms);
  auto* cgs = app.add_subcommand("cg", "conjugate gradient");
  cgs->add_option("-n,--size", n)->default_val(128);
  cgs->add_option("-i,--iters", iters)->default_val(50);
  cgs->add_option("-s,--sleep-ms", sleep_ms);
  auto* frm = app.add_subcommand("farm", "master/worker farm");
  frm->add_option("-t,--tasks", tasks)->default_val(64);
  frm->add_option("-n,--size", n)->default_val(20000);
  frm->add_option("-i,--iters", iters)->default_val(5);
  frm->add_option("-s,--sleep-ms", sleep_ms);
  auto* mem = app.add_subcommand("memhog", "memory rewriter");
  mem->add_option("-m,--mib", mib)->default_val(64);
  mem->add_option("-w,--write-mib", write_mib)->default_val(0);
  mem->add_option("-i,--iters", iters)->default_val(10);
  mem->add_option("-s,--sleep-ms", sleep_ms);
  mem->add_option("--ranks", ranks, "rank count of the MPI run")->required();

  CLI11_PARSE(app, argc, argv);
  if (jac->parsed()) {
    return jacobi2d(n, iters);
  }
  if (cgs->parsed()) {
    return cg(n, iters);
  }
  if (frm->parsed()) {
    return farm(tasks, n, iters);
  }
  return memhog(mib, write_mib, iters, ranks);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-reference: %s\n", e.what());
  }
  return 1;
}
