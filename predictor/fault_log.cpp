#include "fault_log.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ftmpi {

std::vector<FaultEntry> FaultLogReader::read_new() {
  std::vector<FaultEntry> entries;
  std::ifstream in(m_path, std::ios::binary);
  if (!in) {
    return entries;
  }
  in.seekg(static_cast<std::streamoff>(m_offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      break;  // a line still being written: read it whole next time
    }
    m_offset += line.size() + 1;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      FaultEntry e;
      e.time = j.at("time").get<double>();
      e.node = j.at("node").get<std::string>();
      e.kind = j.at("kind").get<std::string>();
      e.event = j.at("event").get<std::string>();
      e.text = fmt::format("{} {} (rate {}, duration {} s){}{}", e.kind, e.event,
                           j.value("rate", 0.0), j.value("duration", 0.0),
                           j.value("detail", "").empty() ? "" : ": ", j.value("detail", ""));
      entries.push_back(e);
    } catch (const std::exception&) {
      // not a fault record
    }
  }
  return entries;
}

}  // namespace ftmpi
