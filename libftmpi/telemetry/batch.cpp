#include "telemetry/batch.hpp"

#include <fmt/format.h>

namespace ftmpi {
namespace {

constexpr std::uint32_t k_magic = 0x46544d53;  // "FTMS"

struct Header {
  std::uint32_t magic = k_magic;
  std::uint32_t version = k_trace_schema_version;
  std::uint32_t rank_count = 0;
  std::uint32_t node_count = 0;
  std::uint32_t checkpoint_count = 0;
  std::uint32_t reserved = 0;
};

template <class T>
void put(std::vector<std::byte>& bytes, std::size_t& at, const std::vector<T>& rows) {
  if (!rows.empty()) {
    std::memcpy(bytes.data() + at, rows.data(), rows.size() * sizeof(T));
    at += rows.size() * sizeof(T);
  }
}

template <class T>
void take(std::span<const std::byte> bytes, std::size_t& at, std::vector<T>& rows,
          std::uint32_t count) {
  rows.resize(count);
  if (count != 0) {
    std::memcpy(rows.data(), bytes.data() + at, rows.size() * sizeof(T));
    at += rows.size() * sizeof(T);
  }
}

}  // namespace

std::vector<std::byte> encode_batch(const SampleBatch& batch) {
  Header header;
  header.rank_count = static_cast<std::uint32_t>(batch.ranks.size());
  header.node_count = static_cast<std::uint32_t>(batch.nodes.size());
  header.checkpoint_count = static_cast<std::uint32_t>(batch.checkpoints.size());
  std::vector<std::byte> bytes(sizeof(Header) + batch.ranks.size() * sizeof(RankSample) +
                               batch.nodes.size() * sizeof(NodeSample) +
                               batch.checkpoints.size() * sizeof(CheckpointRecord));
  std::memcpy(bytes.data(), &header, sizeof header);
  std::size_t at = sizeof header;
  put(bytes, at, batch.ranks);
  put(bytes, at, batch.nodes);
  put(bytes, at, batch.checkpoints);
  return bytes;
}

Result<SampleBatch> decode_batch(std::span<const std::byte> bytes) {
  Header header;
  if (bytes.size() < sizeof header) {
    return corrupt(
        fmt::format("sample batch of {} bytes is shorter than its header", bytes.size()));
  }
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != k_magic || header.version != k_trace_schema_version) {
    return corrupt("sample batch from a different ftmpi version");
  }
  if (bytes.size() != sizeof header + std::size_t{header.rank_count} * sizeof(RankSample) +
                          std::size_t{header.node_count} * sizeof(NodeSample) +
                          std::size_t{header.checkpoint_count} * sizeof(CheckpointRecord)) {
    return corrupt("sample batch size does not match its header");
  }
  SampleBatch batch;
  std::size_t at = sizeof header;
  take(bytes, at, batch.ranks, header.rank_count);
  take(bytes, at, batch.nodes, header.node_count);
  take(bytes, at, batch.checkpoints, header.checkpoint_count);
  return batch;
}

}  // namespace ftmpi
