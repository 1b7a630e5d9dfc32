#include "ckpt/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// CRC-32 (zlib's, the one of gzip and Python's zlib.crc32) and size of a file.
Result<std::uint32_t> crc_of(const fs::path& file, std::uint64_t& size) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return io_error(fmt::format("cannot read {}", file.string()));
  }
  uLong crc = ::crc32(0L, Z_NULL, 0);
  std::vector<char> buffer(std::size_t{1} << 20);
  size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(got));
    size += got;
  }
  if (in.bad()) {
    return io_error(fmt::format("cannot read {}", file.string()));
  }
  return static_cast<std::uint32_t>(crc);
}

json file_json(const CheckpointFile& f) {
  return json{{"path", f.path}, {"size", f.size}, {"crc32", f.crc32}};
}

json rank_json(const RankCheckpoint& r) {
  json files = json::array();
  for (const CheckpointFile& f : r.files) {
    files.push_back(file_json(f));
  }
  return json{{"rank", r.rank}, {"channel", r.channel}, {"files", files}};
}

RankCheckpoint rank_of(const json& j) {
  RankCheckpoint r;
  r.rank = j.at("rank").get<int>();
  r.channel = j.at("channel").get<std::string>();
  for (const json& f : j.at("files")) {
    std::string path = f.at("path").get<std::string>();
    // Files of the checkpoint only: a restart restores from them and verify reads them.
    const fs::path relative(path);
    if (path.empty() || relative.is_absolute() ||
        std::any_of(relative.begin(), relative.end(),
                    [](const fs::path& part) { return part == ".."; })) {
      throw std::runtime_error("the file '" + path + "' is not inside the checkpoint");
    }
    r.files.push_back(
        {std::move(path), f.at("size").get<std::uint64_t>(), f.at("crc32").get<std::uint32_t>()});
  }
  return r;
}

}  // namespace

std::string checkpoint_name(std::uint64_t epoch) {
  return fmt::format("ckpt-{:06}", epoch);
}

std::string migration_name(std::uint64_t epoch) {
  return fmt::format("migration-{:06}", epoch);
}

Result<std::vector<CheckpointFile>> describe_files(const std::string& dir, const std::string& sub,
                                                   bool checksums) {
  std::vector<CheckpointFile> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(fs::path(dir) / sub, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) {
      continue;
    }
    CheckpointFile f;
    f.path = fs::relative(it->path(), dir).string();
    if (!checksums) {
      f.size = it->file_size(ec);
      files.push_back(std::move(f));
      continue;
    }
    auto crc = crc_of(it->path(), f.size);
    if (!crc.ok()) {
      return crc.status();
    }
    f.crc32 = crc.value();
    files.push_back(std::move(f));
  }
  if (ec) {
    return io_error(fmt::format("cannot list {}/{}: {}", dir, sub, ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const CheckpointFile& a, const CheckpointFile& b) { return a.path < b.path; });
  return files;
}

std::string rank_to_json(const RankCheckpoint& rank) {
  return rank_json(rank).dump();
}

Result<RankCheckpoint> rank_from_json(const std::string& text) {
  try {
    return rank_of(json::parse(text));
  } catch (const std::exception& e) {
    return corrupt(fmt::format("a rank's checkpoint description is not valid: {}", e.what()));
  }
}

Status write_manifest(const std::string& dir, const Manifest& m) {
  json ranks = json::array();
  for (const RankCheckpoint& r : m.ranks) {
    ranks.push_back(rank_json(r));
  }
  json j{{"format", "ftmpi-checkpoint"},
         {"version", k_manifest_version},
         {"epoch", m.epoch},
         {"time", m.time},
         {"command", m.command},
         {"quiesce_ms", m.quiesce_ms},
         {"dump_ms", m.dump_ms},
         {"total_ms", m.total_ms},
         {"bytes", m.bytes},
         {"ranks", ranks}};
  if (!m.checksums) {
    j["checksums"] = false;
  }
  if (!m.migrate_from.empty()) {
    j["migration"] = {{"from", m.migrate_from},
                      {"to", m.migrate_to},
                      {"decision_ms", m.decision_ms},
                      {"precopy_ms", m.precopy_ms}};
  }
  const std::string text = j.dump(2) + "\n";
  const fs::path final_path = fs::path(dir) / k_manifest_name;
  const fs::path tmp = fs::path(dir) / (std::string(k_manifest_name) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno_status("cannot write " + tmp.string(), errno);
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(tmp.c_str());
    return errno_status("cannot write " + tmp.string(), written ? errno : err);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    return errno_status("cannot rename " + tmp.string(), errno);
  }
  // The directory entry too, so the manifest survives a crash right after.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<Manifest> read_manifest(const std::string& dir) {
  const fs::path path = fs::path(dir) / k_manifest_name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return not_found(fmt::format(
        "{} {}", dir,
        fs::exists(dir, ec) ? "is not a checkpoint (not a directory)" : "does not exist"));
  }
  if (exists_but_not_regular(path.string())) {
    return corrupt(fmt::format("{} is not a regular file", path.string()));
  }
  std::ifstream in(path);
  if (!in) {
    return not_found(
        fmt::format("{} has no {}: the checkpoint is incomplete (interrupted while it was written)",
                    dir, k_manifest_name));
  }
  try {
    const json j = json::parse(in);
    if (j.at("format").get<std::string>() != "ftmpi-checkpoint") {
      return corrupt(fmt::format("{} is not an ftmpi checkpoint manifest", path.string()));
    }
    if (j.at("version").get<int>() != k_manifest_version) {
      return unsupported(fmt::format("{} has version {}; this ftmpi reads version {}",
                                     path.string(), j.at("version").get<int>(),
                                     k_manifest_version));
    }
    Manifest m;
    m.epoch = j.at("epoch").get<std::uint64_t>();
    m.time = j.at("time").get<double>();
    m.command = j.at("command").get<std::string>();
    m.quiesce_ms = j.at("quiesce_ms").get<double>();
    m.dump_ms = j.at("dump_ms").get<double>();
    m.total_ms = j.value("total_ms", 0.0);
    m.checksums = j.value("checksums", true);
    m.bytes = j.at("bytes").get<std::uint64_t>();
    for (const json& r : j.at("ranks")) {
      m.ranks.push_back(rank_of(r));
    }
    if (j.contains("migration")) {
      m.migrate_from = j.at("migration").at("from").get<std::string>();
      m.migrate_to = j.at("migration").at("to").get<std::string>();
      m.decision_ms = j.at("migration").value("decision_ms", 0.0);
      m.precopy_ms = j.at("migration").value("precopy_ms", 0.0);
    }
    return m;
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{} cannot be read: {}", path.string(), e.what()));
  }
}

Status verify_checkpoint(const std::string& dir, const Manifest& manifest) {
  for (const RankCheckpoint& r : manifest.ranks) {
    for (const CheckpointFile& f : r.files) {
      const fs::path path = fs::path(dir) / f.path;
      std::uint64_t size = 0;
      std::error_code ec;
      auto crc = manifest.checksums ? crc_of(path, size) : Result<std::uint32_t>(std::uint32_t{0});
      if (!manifest.checksums) {
        size = fs::file_size(path, ec);
      }
      if (!crc.ok() || ec) {
        return corrupt(fmt::format("{}: {} is missing", dir, f.path));
      }
      if (size != f.size) {
        return corrupt(fmt::format("{}: {} has {} bytes, the manifest says {} (truncated?)", dir,
                                   f.path, size, f.size));
      }
      if (crc.value() != f.crc32) {
        return corrupt(fmt::format("{}: {} does not match its checksum (corrupted)", dir, f.path));
      }
    }
  }
  return {};
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& root) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  for (const auto& entry : ftmpi::directory_entries(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("ckpt-", 0) != 0) {
      continue;
    }
    CheckpointEntry c;
    c.path = entry.path().string();
    c.epoch = std::strtoull(name.c_str() + 5, nullptr, 10);
    c.complete = fs::exists(entry.path() / k_manifest_name, ec);
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const CheckpointEntry& a, const CheckpointEntry& b) { return a.epoch < b.epoch; });
  return out;
}

Result<std::string> choose_checkpoint(const std::string& path, std::vector<std::string>& skipped) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return not_found(fmt::format("{} does not exist", path));
  }
  const auto usable = [](const std::string& dir) -> Status {
    auto manifest = read_manifest(dir);
    if (!manifest.ok()) {
      return manifest.status();
    }
    return verify_checkpoint(dir, manifest.value());
  };
  if (fs::exists(fs::path(path) / k_manifest_name, ec) ||
      fs::path(path).filename().string().rfind("ckpt-", 0) == 0) {
    const Status ok = usable(path);
    if (!ok.ok()) {
      return ok;
    }
    return path;
  }
  const auto all = list_checkpoints(path);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const Status ok = usable(it->path);
    if (ok.ok()) {
      return it->path;
    }
    skipped.push_back(ok.message());
  }
  return not_found(fmt::format("{} holds no valid checkpoint", path));
}

void prune_checkpoints(const std::string& root, int keep, std::uint64_t in_progress) {
  const auto all = list_checkpoints(root);
  int complete_seen = 0;
  std::uint64_t newest_complete = 0;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->complete && newest_complete == 0) {
      newest_complete = it->epoch;
    }
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->epoch == in_progress) {
      continue;
    }
    const bool drop = it->complete ? ++complete_seen > keep : it->epoch < newest_complete;
    if (drop) {
      std::error_code ec;
      fs::remove_all(it->path, ec);
    }
  }
}

std::vector<std::string> migration_states(const std::string& root) {
  std::vector<std::string> states;
  std::error_code ec;
  for (const auto& entry : ftmpi::directory_entries(root, ec)) {
    if (entry.path().filename().string().rfind("migration-", 0) == 0) {
      states.push_back(entry.path().string());
    }
  }
  std::sort(states.begin(), states.end());
  return states;
}

std::string newest_migration_state(const std::string& root) {
  const auto states = migration_states(root);
  for (auto it = states.rbegin(); it != states.rend(); ++it) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(*it) / k_manifest_name, ec)) {
      return *it;
    }
  }
  return {};
}

void remove_migration_states(const std::string& root) {
  for (const std::string& state : migration_states(root)) {
    std::error_code ec;
    std::filesystem::remove_all(state, ec);
  }
}

}  // namespace ftmpi
