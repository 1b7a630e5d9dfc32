// The creation log: every MPI call that created, changed or freed a handle the
// application holds, in the order this rank made them, with its arguments.  Replaying
// it against a fresh MPI rebuilds every handle (communicators, groups, datatypes, ops,
// infos, error handlers, persistent requests); the transparent checkpoint saves it.
//
// Arguments are stored as typed integer vectors (handles as the application's values,
// which are stable across a restart; pointers as addresses, valid in a restored address
// space) so a record can be serialised without knowing the call.
//
// Thread-safe (one mutex); appended to from the MPI wrappers only.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "mpi/mpi_calls.hpp"

namespace ftmpi {

struct LogValue {
  enum class Type : std::uint8_t {
    none,     // an output the record does not need, or a null array
    integer,  // int, MPI_Aint, MPI_Count: values[0]
    array,    // values
    handle,   // the application's handle value: values[0]
    handles,  // values
    pointer,  // an address (buffer, callback, extra state): values[0]
    text,     // text
    special,  // MPI_UNWEIGHTED or MPI_WEIGHTS_EMPTY: values[0] is the pointer value
  };
  Type type = Type::none;
  std::vector<std::int64_t> values;
  std::string text;

  friend bool operator==(const LogValue&, const LogValue&) = default;
};

struct LogRecord {
  CallId call = CallId::count_;
  std::vector<LogValue> args;  // one per parameter of the call, in order

  LogRecord() = default;
  explicit LogRecord(CallId id) : call(id) {}

  void add_none() { args.push_back({}); }
  void add_integer(std::int64_t value) { args.push_back({LogValue::Type::integer, {value}, {}}); }
  template <class T>
  void add_array(const T* values, long count) {
    if (values == nullptr || count < 0) {
      add_none();
      return;
    }
    LogValue v{LogValue::Type::array, {}, {}};
    v.values.assign(values, values + count);
    args.push_back(std::move(v));
  }
  // Graph weights: an array, or one of MPI's special pointers.
  void add_weights(const int* values, long count, const int* unweighted, const int* empty);
  template <class H>
  void add_handle(H handle) {
    args.push_back({LogValue::Type::handle, {static_cast<std::int64_t>(to_bits(handle))}, {}});
  }
  template <class H>
  void add_handles(const H* handles, long count) {
    if (handles == nullptr || count < 0) {
      add_none();
      return;
    }
    LogValue v{LogValue::Type::handles, {}, {}};
    for (long i = 0; i < count; ++i) {
      v.values.push_back(static_cast<std::int64_t>(to_bits(handles[i])));
    }
    args.push_back(std::move(v));
  }
  template <class P>
  void add_pointer(P pointer) {
    args.push_back({LogValue::Type::pointer, {static_cast<std::int64_t>(to_bits(pointer))}, {}});
  }
  void add_text(const char* text);

  friend bool operator==(const LogRecord&, const LogRecord&) = default;

 private:
  template <class P>
  static std::uintptr_t to_bits(P pointer) {
    return reinterpret_cast<std::uintptr_t>(pointer);  // NOLINT: addresses and handles
  }
};

class CreationLog {
 public:
  void append(LogRecord record);
  // A copy of every record so far, in order.
  [[nodiscard]] std::vector<LogRecord> records() const;
  [[nodiscard]] std::size_t size() const;
  // One line per record ("MPI_Comm_split(comm=0xf7f7..., color=1, ...)"), for logs and
  // debugging.
  [[nodiscard]] std::string describe() const;

 private:
  mutable std::mutex m_mutex;
  std::vector<LogRecord> m_records;
};

// This process's creation log.
CreationLog& creation_log() noexcept;

}  // namespace ftmpi
