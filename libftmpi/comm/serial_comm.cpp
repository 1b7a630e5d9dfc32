#include <fmt/format.h>

#include "comm/comm.hpp"

namespace ftmpi {
namespace {

class SerialComm final : public Comm {
 public:
  [[nodiscard]] int rank() const noexcept override { return 0; }
  [[nodiscard]] int size() const noexcept override { return 1; }
  Status barrier() override { return {}; }
  Result<bool> any(bool value) override { return value; }
  Status sum(std::span<std::int64_t> /*values*/) override { return {}; }
  Status broadcast(std::vector<std::byte>& /*bytes*/, int root) override {
    if (root != 0) {
      return invalid_argument(fmt::format("broadcast root {} outside a serial communicator", root));
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<Comm> make_serial_comm() {
  return std::make_unique<SerialComm>();
}

}  // namespace ftmpi
