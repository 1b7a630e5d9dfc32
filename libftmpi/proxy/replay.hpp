// Rebuilding the application's MPI objects in a new rank proxy after a restart: every
// record of the old proxy's creation log is carried out again, in order, on the new
// MPI (collective ones match across ranks because every rank replays its own log in
// the order it made those calls), and each handle it creates is bound to the virtual
// value the application still holds.  Predefined handles in the log are the old
// proxy's addresses; they are translated through the two processes' tables of MPI's
// predefined objects (mpi/mpi_library.hpp).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mpi/creation_log.hpp"
#include "mpi/handles.hpp"
#include "util/status.hpp"

namespace ftmpi {

class ReplayContext {
 public:
  // `old_predefined`: the old proxy's addresses of MPI's predefined objects.
  explicit ReplayContext(const std::vector<std::uint64_t>& old_predefined);

  // A handle argument as a real handle of this process.
  template <class H>
  [[nodiscard]] H handle(const LogValue& v) const {
    if (v.type != LogValue::Type::handle || v.values.empty()) {
      return HandleTraits<H>::null();
    }
    return to_real(handle_from_bits<H>(translate(static_cast<std::uint64_t>(v.values[0]))));
  }
  template <class H>
  [[nodiscard]] std::vector<H> handles(const LogValue& v) const {
    std::vector<H> out;
    for (std::int64_t bits : v.values) {
      out.push_back(to_real(handle_from_bits<H>(translate(static_cast<std::uint64_t>(bits)))));
    }
    return out;
  }
  template <class T>
  [[nodiscard]] T integer(const LogValue& v) const {
    return v.values.empty() ? T{} : static_cast<T>(v.values[0]);
  }
  template <class T>
  [[nodiscard]] std::vector<T> array(const LogValue& v) const {
    return std::vector<T>(v.values.begin(), v.values.end());
  }
  [[nodiscard]] const int* weights(const LogValue& v, std::vector<int>& storage) const;
  template <class F>
  [[nodiscard]] F function(const LogValue& v) const {
    return v.values.empty() ? nullptr
                            : reinterpret_cast<F>(static_cast<std::uintptr_t>(
                                  translate(static_cast<std::uint64_t>(v.values[0]))));
  }
  [[nodiscard]] std::string text(const LogValue& v) const { return v.text; }
  [[nodiscard]] void* pointer(const LogValue& v) const;

  // The call created `real`: the virtual handle recorded in `v` stands for it again.
  template <class H>
  void bind(const LogValue& v, H real) const {
    const auto bits = v.values.empty() ? 0 : static_cast<std::uintptr_t>(v.values[0]);
    if (is_virtual_bits(bits) && real != HandleTraits<H>::null()) {
      handle_table(HandleTraits<H>::kind).place(bits, real);
    }
  }
  // The call changed or freed the handle `v` recorded (its value before the call).
  template <class H>
  void rebind(const LogValue& v, H real_after) const {
    const auto bits = v.values.empty() ? 0 : static_cast<std::uintptr_t>(v.values[0]);
    if (!is_virtual_bits(bits)) {
      return;
    }
    if (real_after == HandleTraits<H>::null()) {
      handle_table(HandleTraits<H>::kind).release(bits);
    } else {
      handle_table(HandleTraits<H>::kind).place(bits, real_after);
    }
  }
  // An old proxy's predefined address as this process's (anything else unchanged).
  [[nodiscard]] std::uint64_t translate(std::uint64_t old_bits) const;
  // A keyval must come back with the number the application holds.
  [[nodiscard]] bool same_keyval(const LogValue& v, int got) const {
    return !v.values.empty() && v.values[0] == got;
  }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> m_predefined;
};

using Replayer = int (*)(ReplayContext&, const LogRecord&);
// The generated replay of a logged call; nullptr for calls that cannot be replayed.
Replayer replayer(CallId call) noexcept;

// Replays `log` in order and appends each record to this process's creation log; stops
// at the first record that fails, naming it.
Status replay_log(const std::vector<LogRecord>& log,
                  const std::vector<std::uint64_t>& old_predefined);

}  // namespace ftmpi
