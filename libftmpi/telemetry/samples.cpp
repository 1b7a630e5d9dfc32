#include "telemetry/samples.hpp"

#include <charconv>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace ftmpi {
namespace {

template <class T>
constexpr FieldType type_of() {
  if constexpr (std::is_same_v<T, std::int32_t>) {
    return FieldType::int32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return FieldType::int64;
  } else {
    return FieldType::float64;
  }
}

#define FTMPI_FIELD(STRUCT, MEMBER)                                           \
  Field {                                                                     \
#MEMBER, offsetof(STRUCT, MEMBER), type_of < decltype(STRUCT::MEMBER)>(), \
        sizeof(STRUCT::MEMBER)                                                \
  }

// Per-class arrays become one column each: mpi_calls_p2p, mpi_seconds_coll, ...
template <class T>
void add_array(std::vector<Field>& fields, std::vector<std::string>& names, std::string_view base,
               std::size_t offset, std::span<const std::string_view> suffixes) {
  for (std::size_t i = 0; i < suffixes.size(); ++i) {
    names.push_back(std::string(base) + "_" + std::string(suffixes[i]));
    fields.push_back({{}, offset + i * sizeof(T), type_of<T>(), sizeof(T)});
  }
}

struct RankFields {
  std::vector<std::string> names;  // storage for the generated column names
  std::vector<Field> fields;
  RankFields() {
    names.reserve(64);
    fields = {FTMPI_FIELD(RankSample, time),
              FTMPI_FIELD(RankSample, rank),
              FTMPI_FIELD(RankSample, node),
              FTMPI_FIELD(RankSample, cpu_user),
              FTMPI_FIELD(RankSample, cpu_system),
              FTMPI_FIELD(RankSample, rss_bytes),
              FTMPI_FIELD(RankSample, minor_faults),
              FTMPI_FIELD(RankSample, major_faults),
              FTMPI_FIELD(RankSample, voluntary_switches),
              FTMPI_FIELD(RankSample, involuntary_switches),
              FTMPI_FIELD(RankSample, read_bytes),
              FTMPI_FIELD(RankSample, write_bytes)};
    const std::size_t first_generated = fields.size();
    add_array<std::int64_t>(fields, names, "mpi_calls", offsetof(RankSample, mpi_calls),
                            k_mpi_class_names);
    add_array<double>(fields, names, "mpi_seconds", offsetof(RankSample, mpi_seconds),
                      k_mpi_class_names);
    add_array<std::int64_t>(fields, names, "mpi_bytes", offsetof(RankSample, mpi_bytes),
                            k_mpi_class_names);
    add_array<std::int64_t>(fields, names, "papi", offsetof(RankSample, papi), k_papi_event_names);
    for (std::size_t i = first_generated; i < fields.size(); ++i) {
      fields[i].name = names[i - first_generated];
    }
  }
};

}  // namespace

std::span<const Field> rank_sample_fields() {
  static const RankFields table;
  return table.fields;
}

std::span<const Field> node_sample_fields() {
  static const Field fields[] = {
      FTMPI_FIELD(NodeSample, time),
      FTMPI_FIELD(NodeSample, node),
      FTMPI_FIELD(NodeSample, reporter),
      FTMPI_FIELD(NodeSample, mem_total),
      FTMPI_FIELD(NodeSample, mem_available),
      FTMPI_FIELD(NodeSample, swap_used),
      FTMPI_FIELD(NodeSample, load1),
      FTMPI_FIELD(NodeSample, cpu_busy),
      FTMPI_FIELD(NodeSample, cpu_iowait),
      FTMPI_FIELD(NodeSample, psi_cpu_some),
      FTMPI_FIELD(NodeSample, psi_memory_some),
      FTMPI_FIELD(NodeSample, psi_memory_full),
      FTMPI_FIELD(NodeSample, psi_io_some),
      FTMPI_FIELD(NodeSample, psi_io_full),
      FTMPI_FIELD(NodeSample, cgroup_memory_usage),
      FTMPI_FIELD(NodeSample, cgroup_memory_limit),
      FTMPI_FIELD(NodeSample, cgroup_memory_inactive_file),
      FTMPI_FIELD(NodeSample, edac_corrected),
      FTMPI_FIELD(NodeSample, edac_uncorrected),
      FTMPI_FIELD(NodeSample, net_errors),
      FTMPI_FIELD(NodeSample, net_drops),
      FTMPI_FIELD(NodeSample, disk_total),
      FTMPI_FIELD(NodeSample, disk_free),
      FTMPI_FIELD(NodeSample, temperature_max),
  };
  return fields;
}

std::span<const Field> event_fields() {
  static const Field fields[] = {
      FTMPI_FIELD(Event, time),
      FTMPI_FIELD(Event, rank),
      FTMPI_FIELD(Event, node),
      Field{"kind", offsetof(Event, kind), FieldType::text, sizeof(Event::kind)},
      Field{"detail", offsetof(Event, detail), FieldType::text, sizeof(Event::detail)},
  };
  return fields;
}

std::span<const Field> prediction_fields() {
  static const Field fields[] = {
      FTMPI_FIELD(Prediction, time),
      FTMPI_FIELD(Prediction, node),
      FTMPI_FIELD(Prediction, decided),
      FTMPI_FIELD(Prediction, score),
      FTMPI_FIELD(Prediction, lead),
      Field{"reason", offsetof(Prediction, reason), FieldType::text, sizeof(Prediction::reason)},
  };
  return fields;
}

std::span<const Field> checkpoint_fields() {
  static const Field fields[] = {
      FTMPI_FIELD(CheckpointRecord, time),
      FTMPI_FIELD(CheckpointRecord, rank),
      FTMPI_FIELD(CheckpointRecord, node),
      Field{"kind", offsetof(CheckpointRecord, kind), FieldType::text,
            sizeof(CheckpointRecord::kind)},
      FTMPI_FIELD(CheckpointRecord, epoch),
      FTMPI_FIELD(CheckpointRecord, quiesce_ms),
      FTMPI_FIELD(CheckpointRecord, dump_ms),
      FTMPI_FIELD(CheckpointRecord, write_ms),
      FTMPI_FIELD(CheckpointRecord, restore_ms),
      FTMPI_FIELD(CheckpointRecord, rebuild_ms),
      FTMPI_FIELD(CheckpointRecord, total_ms),
      FTMPI_FIELD(CheckpointRecord, bytes),
      FTMPI_FIELD(CheckpointRecord, drained),
      FTMPI_FIELD(CheckpointRecord, decision_ms),
      FTMPI_FIELD(CheckpointRecord, predump_ms),
      FTMPI_FIELD(CheckpointRecord, transfer_ms),
      FTMPI_FIELD(CheckpointRecord, relaunch_ms),
      FTMPI_FIELD(CheckpointRecord, resume_ms),
  };
  return fields;
}

namespace {

template <class T>
std::string number_text(const void* at) {
  T v{};
  std::memcpy(&v, at, sizeof v);
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

template <class T>
bool parse_number(void* at, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return false;
  }
  std::memcpy(at, &v, sizeof v);
  return true;
}

constexpr std::string_view k_node_sample_magic = "ftmpi-node-sample 1";

}  // namespace

std::string field_text(const void* row, const Field& field) {
  const void* at = static_cast<const char*>(row) + field.offset;
  switch (field.type) {
    case FieldType::int32:
      return number_text<std::int32_t>(at);
    case FieldType::int64:
      return number_text<std::int64_t>(at);
    case FieldType::float64:
      return number_text<double>(at);
    case FieldType::text:
      break;
  }
  return {};
}

bool set_field(void* row, const Field& field, std::string_view text) {
  void* at = static_cast<char*>(row) + field.offset;
  switch (field.type) {
    case FieldType::int32:
      return parse_number<std::int32_t>(at, text);
    case FieldType::int64:
      return parse_number<std::int64_t>(at, text);
    case FieldType::float64:
      return parse_number<double>(at, text);
    case FieldType::text:
      break;
  }
  return false;
}

std::string node_sample_text(const NodeSample& sample) {
  std::string text(k_node_sample_magic);
  text += '\n';
  for (const Field& f : node_sample_fields()) {
    text += std::string(f.name) + ' ' + field_text(&sample, f) + '\n';
  }
  return text;
}

bool parse_node_sample_text(std::string_view text, NodeSample& sample) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != k_node_sample_magic) {
    return false;
  }
  NodeSample parsed;
  while (std::getline(in, line)) {
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) {
      return false;
    }
    const std::string_view name = std::string_view(line).substr(0, space);
    for (const Field& f : node_sample_fields()) {
      if (f.name == name && !set_field(&parsed, f, std::string_view(line).substr(space + 1))) {
        return false;
      }
    }
  }
  sample = parsed;
  return true;
}

}  // namespace ftmpi
