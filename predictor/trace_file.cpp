#include "trace_file.hpp"

#include <hdf5.h>

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "util/files.hpp"
#include "util/scope_guard.hpp"

namespace ftmpi {
namespace {

constexpr hsize_t k_chunk_rows = 256;

// An HDF5 identifier closed when it goes out of scope.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& other) noexcept
      : m_id(std::exchange(other.m_id, H5I_INVALID_HID)), m_close(other.m_close) {}
  Hid& operator=(Hid&& other) noexcept {
    reset();
    m_id = std::exchange(other.m_id, H5I_INVALID_HID);
    m_close = other.m_close;
    return *this;
  }
  ~Hid() { reset(); }
  void reset() {
    if (m_id >= 0 && m_close != nullptr) {
      m_close(m_id);
    }
    m_id = H5I_INVALID_HID;
  }
  [[nodiscard]] hid_t get() const { return m_id; }
  [[nodiscard]] bool valid() const { return m_id >= 0; }

 private:
  hid_t m_id = H5I_INVALID_HID;
  herr_t (*m_close)(hid_t) = nullptr;
};

// HDF5 prints its error stack on stderr by default; ftmpi reports errors itself.
void silence_hdf5() {
  static const bool once = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)once;
}

Status hdf5_error(const std::string& what) {
  return io_error(fmt::format("{} (HDF5)", what));
}

// The compound type of a record from its field table.
Hid compound_type(std::size_t size, std::span<const Field> fields) {
  Hid type(H5Tcreate(H5T_COMPOUND, size), H5Tclose);
  for (const Field& f : fields) {
    const std::string name(f.name);
    switch (f.type) {
      case FieldType::int32:
        H5Tinsert(type.get(), name.c_str(), f.offset, H5T_NATIVE_INT32);
        break;
      case FieldType::int64:
        H5Tinsert(type.get(), name.c_str(), f.offset, H5T_NATIVE_INT64);
        break;
      case FieldType::float64:
        H5Tinsert(type.get(), name.c_str(), f.offset, H5T_NATIVE_DOUBLE);
        break;
      case FieldType::text: {
        Hid text(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(text.get(), f.size);
        H5Tset_strpad(text.get(), H5T_STR_NULLTERM);
        H5Tinsert(type.get(), name.c_str(), f.offset, text.get());
        break;
      }
    }
  }
  return type;
}

Hid rank_sample_type() {
  return compound_type(sizeof(RankSample), rank_sample_fields());
}
Hid node_sample_type() {
  return compound_type(sizeof(NodeSample), node_sample_fields());
}
Hid event_type() {
  return compound_type(sizeof(Event), event_fields());
}
Hid checkpoint_type() {
  return compound_type(sizeof(CheckpointRecord), checkpoint_fields());
}
Hid prediction_type() {
  return compound_type(sizeof(Prediction), prediction_fields());
}
Hid rank_info_type() {
  static const Field fields[] = {{"rank", offsetof(RankInfo, rank), FieldType::int32, 4},
                                 {"node", offsetof(RankInfo, node), FieldType::int32, 4},
                                 {"pid", offsetof(RankInfo, pid), FieldType::int64, 8}};
  return compound_type(sizeof(RankInfo), fields);
}
Hid node_info_type() {
  static const Field fields[] = {{"node", offsetof(NodeInfo, node), FieldType::int32, 4},
                                 {"name", offsetof(NodeInfo, name), FieldType::text, 64}};
  return compound_type(sizeof(NodeInfo), fields);
}

Status write_string_attribute(hid_t object, const char* name, const std::string& value) {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.empty() ? 1 : value.size());
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), value.c_str()) < 0) {
    return hdf5_error(fmt::format("cannot write attribute {}", name));
  }
  return {};
}

template <class T>
Status write_number_attribute(hid_t object, const char* name, hid_t type, T value) {
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type, &value) < 0) {
    return hdf5_error(fmt::format("cannot write attribute {}", name));
  }
  return {};
}

// A fixed dataset holding `rows`.
template <class T>
Status write_table(hid_t parent, const char* name, const Hid& type, const std::vector<T>& rows) {
  const hsize_t dims[1] = {rows.size()};
  Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Hid set(H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
  if (!set.valid() || (!rows.empty() && H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL,
                                                 H5P_DEFAULT, rows.data()) < 0)) {
    return hdf5_error(fmt::format("cannot write {}", name));
  }
  return {};
}

// An empty, chunked dataset that grows by appending rows.
Result<Hid> create_growing(hid_t parent, const char* name, const Hid& type) {
  const hsize_t dims[1] = {0};
  const hsize_t max_dims[1] = {H5S_UNLIMITED};
  Hid space(H5Screate_simple(1, dims, max_dims), H5Sclose);
  Hid props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const hsize_t chunk[1] = {k_chunk_rows};
  H5Pset_chunk(props.get(), 1, chunk);
  Hid set(H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
          H5Dclose);
  if (!set.valid()) {
    return hdf5_error(fmt::format("cannot create {}", name));
  }
  return set;
}

Status append_rows(const Hid& set, const Hid& type, const void* rows, std::size_t count,
                   hsize_t& size) {
  if (count == 0) {
    return {};
  }
  const hsize_t new_size[1] = {size + count};
  if (H5Dset_extent(set.get(), new_size) < 0) {
    return hdf5_error("cannot extend a trace dataset");
  }
  Hid file_space(H5Dget_space(set.get()), H5Sclose);
  const hsize_t start[1] = {size};
  const hsize_t n[1] = {count};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr);
  Hid memory_space(H5Screate_simple(1, n, nullptr), H5Sclose);
  if (H5Dwrite(set.get(), type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, rows) <
      0) {
    return hdf5_error("cannot append to a trace dataset");
  }
  size += count;
  return {};
}

}  // namespace

struct TraceWriter::Impl {
  Hid file;
  Hid rank_type = rank_sample_type();
  Hid node_type = node_sample_type();
  Hid event_type_id = event_type();
  Hid checkpoint_type_id = checkpoint_type();
  Hid prediction_type_id = prediction_type();
  Hid predictions;
  hsize_t prediction_rows = 0;
  Hid rank_samples;
  Hid node_samples;
  Hid events;
  Hid checkpoints;
  hsize_t rank_rows = 0;
  hsize_t node_rows = 0;
  hsize_t event_rows = 0;
  hsize_t checkpoint_rows = 0;
};

TraceWriter::TraceWriter(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

TraceWriter::~TraceWriter() {
  (void)close();
}

Result<std::unique_ptr<TraceWriter>> TraceWriter::create(const std::string& path,
                                                         const TraceHeader& header) {
  silence_hdf5();
  auto impl = std::make_unique<Impl>();
  Hid access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(access.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  impl->file = Hid(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  if (!impl->file.valid()) {
    return io_error(
        fmt::format("cannot create the trace {}: check that its folder exists and "
                    "is writable",
                    path));
  }
  const hid_t file = impl->file.get();
  Hid job(H5Gcreate2(file, "job", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  FTMPI_RETURN_IF_ERROR(
      write_number_attribute(job.get(), "schema_version", H5T_NATIVE_INT, k_trace_schema_version));
  FTMPI_RETURN_IF_ERROR(write_string_attribute(job.get(), "command", header.command));
  FTMPI_RETURN_IF_ERROR(write_string_attribute(job.get(), "mode", header.mode));
  FTMPI_RETURN_IF_ERROR(write_string_attribute(job.get(), "ftmpi_version", header.ftmpi_version));
  FTMPI_RETURN_IF_ERROR(write_string_attribute(job.get(), "papi", header.papi));
  FTMPI_RETURN_IF_ERROR(
      write_number_attribute(job.get(), "start_time", H5T_NATIVE_DOUBLE, header.start_time));
  FTMPI_RETURN_IF_ERROR(write_number_attribute(job.get(), "sample_interval", H5T_NATIVE_DOUBLE,
                                               header.sample_interval));
  FTMPI_RETURN_IF_ERROR(write_number_attribute(job.get(), "ranks", H5T_NATIVE_INT,
                                               static_cast<int>(header.ranks.size())));
  FTMPI_RETURN_IF_ERROR(write_number_attribute(job.get(), "nodes", H5T_NATIVE_INT,
                                               static_cast<int>(header.nodes.size())));

  Hid ranks(H5Gcreate2(file, "ranks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  Hid nodes(H5Gcreate2(file, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  FTMPI_RETURN_IF_ERROR(write_table(ranks.get(), "info", rank_info_type(), header.ranks));
  FTMPI_RETURN_IF_ERROR(write_table(nodes.get(), "info", node_info_type(), header.nodes));
  auto rank_samples = create_growing(ranks.get(), "samples", impl->rank_type);
  auto node_samples = create_growing(nodes.get(), "samples", impl->node_type);
  auto events = create_growing(file, "events", impl->event_type_id);
  auto checkpoints = create_growing(file, "checkpoints", impl->checkpoint_type_id);
  auto predictions = create_growing(file, "predictions", impl->prediction_type_id);
  for (const Status& s : {rank_samples.status(), node_samples.status(), events.status(),
                          checkpoints.status(), predictions.status()}) {
    FTMPI_RETURN_IF_ERROR(s);
  }
  impl->predictions = std::move(predictions).value();
  impl->rank_samples = std::move(rank_samples).value();
  impl->node_samples = std::move(node_samples).value();
  impl->events = std::move(events).value();
  impl->checkpoints = std::move(checkpoints).value();
  if (H5Fstart_swmr_write(file) < 0) {
    return hdf5_error(fmt::format("cannot start SWMR writing of {}", path));
  }
  return std::unique_ptr<TraceWriter>(new TraceWriter(std::move(impl)));
}

Status TraceWriter::append(std::span<const RankSample> rows) {
  return append_rows(m_impl->rank_samples, m_impl->rank_type, rows.data(), rows.size(),
                     m_impl->rank_rows);
}

Status TraceWriter::append(std::span<const NodeSample> rows) {
  return append_rows(m_impl->node_samples, m_impl->node_type, rows.data(), rows.size(),
                     m_impl->node_rows);
}

Status TraceWriter::append(std::span<const Event> rows) {
  return append_rows(m_impl->events, m_impl->event_type_id, rows.data(), rows.size(),
                     m_impl->event_rows);
}

Status TraceWriter::append(std::span<const CheckpointRecord> rows) {
  return append_rows(m_impl->checkpoints, m_impl->checkpoint_type_id, rows.data(), rows.size(),
                     m_impl->checkpoint_rows);
}

Status TraceWriter::append(std::span<const Prediction> rows) {
  return append_rows(m_impl->predictions, m_impl->prediction_type_id, rows.data(), rows.size(),
                     m_impl->prediction_rows);
}

Status TraceWriter::flush() {
  if (!m_impl || !m_impl->file.valid()) {
    return {};
  }
  for (const Hid* set : {&m_impl->rank_samples, &m_impl->node_samples, &m_impl->events,
                         &m_impl->checkpoints, &m_impl->predictions}) {
    if (H5Dflush(set->get()) < 0) {
      return hdf5_error("cannot flush the trace");
    }
  }
  if (H5Fflush(m_impl->file.get(), H5F_SCOPE_GLOBAL) < 0) {
    return hdf5_error("cannot flush the trace");
  }
  return {};
}

Status TraceWriter::close() {
  if (!m_impl || !m_impl->file.valid()) {
    return {};
  }
  Status status = flush();
  m_impl->rank_samples.reset();
  m_impl->node_samples.reset();
  m_impl->events.reset();
  m_impl->checkpoints.reset();
  m_impl->predictions.reset();
  m_impl->file.reset();
  return status;
}

namespace {

Result<std::string> read_string_attribute(hid_t object, const char* name) {
  Hid attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) {
    return corrupt(fmt::format("attribute {} is missing", name));
  }
  Hid type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) {
    return corrupt(fmt::format("attribute {} is not text", name));
  }
  std::string value(H5Tget_size(type.get()), '\0');
  Hid memory(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory.get(), value.size());
  if (H5Aread(attr.get(), memory.get(), value.data()) < 0) {
    return corrupt(fmt::format("cannot read attribute {}", name));
  }
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  return value;
}

template <class T>
Result<T> read_number_attribute(hid_t object, const char* name, hid_t type) {
  Hid attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  T value{};
  if (!attr.valid() || H5Aread(attr.get(), type, &value) < 0) {
    return corrupt(fmt::format("attribute {} is missing", name));
  }
  return value;
}

// All rows of a dataset, converted to the in-memory record by field name (so a reader
// tolerates columns in another order).
template <class T>
Result<std::vector<T>> read_rows(hid_t file, const char* path, const Hid& type) {
  Hid set(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
  if (!set.valid()) {
    return corrupt(fmt::format("dataset {} is missing", path));
  }
  H5Drefresh(set.get());  // the latest rows of a file being written
  Hid space(H5Dget_space(set.get()), H5Sclose);
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1) {
    return corrupt(fmt::format("dataset {} is not a table", path));
  }
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  std::vector<T> rows(dims[0]);
  if (!rows.empty() &&
      H5Dread(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) < 0) {
    return corrupt(fmt::format("cannot read {}: its columns do not match this version", path));
  }
  return rows;
}

}  // namespace

Result<TraceContents> read_trace(const std::string& path) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return not_found(fmt::format("{} does not exist", path));
  }
  if (exists_but_not_regular(path)) {
    return corrupt(fmt::format("{} is not a trace file (not a regular file)", path));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return corrupt(fmt::format("{} is not an HDF5 file", path));
  }
  Hid access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(access.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  // SWMR reading sees a trace while it is written, or after its writer was killed; a file
  // that was never written in SWMR mode opens the ordinary way.
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, access.get()), H5Fclose);
  if (!file.valid()) {
    file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  }
  if (!file.valid()) {
    return corrupt(fmt::format("{} cannot be opened as an HDF5 file (damaged?)", path));
  }
  Hid job(H5Gopen2(file.get(), "job", H5P_DEFAULT), H5Gclose);
  if (!job.valid()) {
    return corrupt(fmt::format("{} is not an ftmpi trace (no /job group)", path));
  }
  auto version = read_number_attribute<int>(job.get(), "schema_version", H5T_NATIVE_INT);
  if (!version.ok()) {
    return corrupt(fmt::format("{} is not an ftmpi trace (no schema version)", path));
  }
  // Version 1 is version 2 without /checkpoints; version 2 is 3 without the migration
  // phases of /checkpoints (read as 0); version 3 is 4 without /predictions; version 4
  // is 5 without the nodes' cgroup_memory_inactive_file (read as -1, not known).
  if (version.value() < 1 || version.value() > k_trace_schema_version) {
    return unsupported(
        fmt::format("{} has trace schema version {}; this ftmpi reads versions 1 to {}", path,
                    version.value(), k_trace_schema_version));
  }
  TraceContents trace;
  TraceHeader& h = trace.header;
  auto command = read_string_attribute(job.get(), "command");
  auto mode = read_string_attribute(job.get(), "mode");
  auto ftmpi_version = read_string_attribute(job.get(), "ftmpi_version");
  auto papi = read_string_attribute(job.get(), "papi");
  auto start = read_number_attribute<double>(job.get(), "start_time", H5T_NATIVE_DOUBLE);
  auto interval = read_number_attribute<double>(job.get(), "sample_interval", H5T_NATIVE_DOUBLE);
  for (const Status& s : {command.status(), mode.status(), ftmpi_version.status(), papi.status(),
                          start.status(), interval.status()}) {
    if (!s.ok()) {
      return corrupt(fmt::format("{}: {}", path, s.message()));
    }
  }
  h.command = command.value();
  h.mode = mode.value();
  h.ftmpi_version = ftmpi_version.value();
  h.papi = papi.value();
  h.start_time = start.value();
  h.sample_interval = interval.value();
  auto ranks = read_rows<RankInfo>(file.get(), "ranks/info", rank_info_type());
  auto nodes = read_rows<NodeInfo>(file.get(), "nodes/info", node_info_type());
  auto rank_samples = read_rows<RankSample>(file.get(), "ranks/samples", rank_sample_type());
  auto node_samples = read_rows<NodeSample>(file.get(), "nodes/samples", node_sample_type());
  auto events = read_rows<Event>(file.get(), "events", event_type());
  for (const Status& s : {ranks.status(), nodes.status(), rank_samples.status(),
                          node_samples.status(), events.status()}) {
    if (!s.ok()) {
      return corrupt(fmt::format("{}: {}", path, s.message()));
    }
  }
  h.ranks = std::move(ranks).value();
  h.nodes = std::move(nodes).value();
  trace.rank_samples = std::move(rank_samples).value();
  trace.node_samples = std::move(node_samples).value();
  trace.events = std::move(events).value();
  if (version.value() >= 2) {
    auto checkpoints = read_rows<CheckpointRecord>(file.get(), "checkpoints", checkpoint_type());
    if (!checkpoints.ok()) {
      return corrupt(fmt::format("{}: {}", path, checkpoints.status().message()));
    }
    trace.checkpoints = std::move(checkpoints).value();
  }
  if (version.value() >= 4) {
    auto predictions = read_rows<Prediction>(file.get(), "predictions", prediction_type());
    if (!predictions.ok()) {
      return corrupt(fmt::format("{}: {}", path, predictions.status().message()));
    }
    trace.predictions = std::move(predictions).value();
  }
  return trace;
}

}  // namespace ftmpi
