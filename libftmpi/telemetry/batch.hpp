// A batch of samples as it travels from an application rank to the predictor (one MPI
// message of MPI_BYTE on the control communicator, tag k_tag_samples): a header, then
// the rank samples, the node samples, then the checkpoint records.  Both sides are the same build
// of ftmpi, so the structs are copied as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "telemetry/samples.hpp"
#include "util/status.hpp"

namespace ftmpi {

// The first message every application rank sends the predictor (tag k_tag_hello).
struct RankHello {
  std::int32_t rank = -1;
  std::int32_t node_leader = 0;  // 1: this rank samples its node
  std::int64_t pid = 0;
  char host[64] = {};
  char papi[96] = {};  // HardwareCounters::availability()
};

struct SampleBatch {
  std::vector<RankSample> ranks;
  std::vector<NodeSample> nodes;
  std::vector<CheckpointRecord> checkpoints;
};

std::vector<std::byte> encode_batch(const SampleBatch& batch);
// Refuses bytes that are not a whole batch of this schema version.
Result<SampleBatch> decode_batch(std::span<const std::byte> bytes);

}  // namespace ftmpi
