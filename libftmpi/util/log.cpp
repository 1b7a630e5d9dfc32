#include "util/log.hpp"

#include <cstdlib>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace ftmpi {
namespace {

std::mutex g_mutex;
bool g_level_set = false;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::level::level_enum level_from_environment() {
  const char* env = std::getenv("FTMPI_LOG_LEVEL");
  spdlog::level::level_enum level = spdlog::level::info;
  if (env != nullptr && !parse_log_level(env, level)) {
    level = spdlog::level::info;
  }
  return level;
}

}  // namespace

bool parse_log_level(std::string_view name, spdlog::level::level_enum& level) noexcept {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> k_levels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off},
  };
  for (const auto& [text, value] : k_levels) {
    if (name == text) {
      level = value;
      return true;
    }
  }
  return false;
}

std::shared_ptr<spdlog::logger> logger(std::string_view component) {
  const std::string name = "ftmpi-" + std::string(component);
  const std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  if (!g_level_set) {
    g_level = level_from_environment();
    g_level_set = true;
  }
  auto created = spdlog::stderr_logger_mt(name);
  created->set_pattern("%n: %l: %v");
  created->set_level(g_level);
  return created;
}

void set_log_level(spdlog::level::level_enum level) {
  const std::lock_guard lock(g_mutex);
  g_level = level;
  g_level_set = true;
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) {
    if (l->name().rfind("ftmpi-", 0) == 0) {
      l->set_level(level);
    }
  });
}

}  // namespace ftmpi
