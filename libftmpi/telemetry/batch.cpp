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
};

}  // namespace

std::vector<std::byte> encode_batch(const SampleBatch& batch) {
  Header header;
  header.rank_count = static_cast<std::uint32_t>(batch.ranks.size());
  header.node_count = static_cast<std::uint32_t>(batch.nodes.size());
  const std::size_t rank_bytes = batch.ranks.size() * sizeof(RankSample);
  const std::size_t node_bytes = batch.nodes.size() * sizeof(NodeSample);
  std::vector<std::byte> bytes(sizeof(Header) + rank_bytes + node_bytes);
  std::memcpy(bytes.data(), &header, sizeof header);
  if (rank_bytes != 0) {
    std::memcpy(bytes.data() + sizeof header, batch.ranks.data(), rank_bytes);
  }
  if (node_bytes != 0) {
    std::memcpy(bytes.data() + sizeof header + rank_bytes, batch.nodes.data(), node_bytes);
  }
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
  const std::size_t rank_bytes = std::size_t{header.rank_count} * sizeof(RankSample);
  const std::size_t node_bytes = std::size_t{header.node_count} * sizeof(NodeSample);
  if (bytes.size() != sizeof header + rank_bytes + node_bytes) {
    return corrupt("sample batch size does not match its header");
  }
  SampleBatch batch;
  batch.ranks.resize(header.rank_count);
  batch.nodes.resize(header.node_count);
  if (rank_bytes != 0) {
    std::memcpy(batch.ranks.data(), bytes.data() + sizeof header, rank_bytes);
  }
  if (node_bytes != 0) {
    std::memcpy(batch.nodes.data(), bytes.data() + sizeof header + rank_bytes, node_bytes);
  }
  return batch;
}

}  // namespace ftmpi
