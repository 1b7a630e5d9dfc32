// ScopeGuard: runs a callable when it leaves scope, unless cancelled.  For fds,
// mappings and handles on paths that return early with a Status.
#pragma once

#include <utility>

namespace ftmpi {

template <class F>
class [[nodiscard]] ScopeGuard {
 public:
  explicit ScopeGuard(F fn) noexcept(noexcept(F(std::move(fn)))) : m_fn(std::move(fn)) {}
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;
  ScopeGuard(ScopeGuard&&) = delete;
  ScopeGuard& operator=(ScopeGuard&&) = delete;
  ~ScopeGuard() {
    if (m_armed) {
      m_fn();
    }
  }
  // The callable will not run.
  void cancel() noexcept { m_armed = false; }

 private:
  F m_fn;
  bool m_armed = true;
};

}  // namespace ftmpi
