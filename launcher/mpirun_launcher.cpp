#include <fmt/format.h>

#include "job_launcher.hpp"

namespace ftmpi {
namespace {

class MpirunLauncher final : public JobLauncher {
 public:
  explicit MpirunLauncher(std::string mpirun_path) : m_mpirun(std::move(mpirun_path)) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "mpirun"; }

  [[nodiscard]] Result<std::vector<std::string>> command(const LaunchSpec& spec) const override {
    if (spec.ranks < 1) {
      return invalid_argument(
          fmt::format("the number of ranks must be at least 1, not {}", spec.ranks));
    }
    if (spec.program.empty()) {
      return invalid_argument("no program to launch");
    }
    std::vector<std::string> argv{m_mpirun};
    if (spec.hostfile && !spec.sequential) {
      argv.insert(argv.end(), {"--hostfile", *spec.hostfile});
    }
    if (!spec.hosts.empty()) {
      argv.insert(argv.end(), {"--host", spec.hosts});
    }
    if (spec.sequential) {
      argv.insert(argv.end(), {"--mca", "rmaps", "seq"});
    }
    // With the sequential mapper, each application context reads the hostfile from its
    // first line.
    const auto add_context_hostfile = [&argv, &spec] {
      if (spec.hostfile && spec.sequential) {
        argv.insert(argv.end(), {"--hostfile", *spec.hostfile});
      }
    };
    if (spec.oversubscribe) {
      argv.emplace_back("--oversubscribe");
    }
    if (spec.allow_run_as_root) {
      argv.emplace_back("--allow-run-as-root");
    }
    if (spec.bind_to_cores) {
      // N ranks and the hidden rank are one process more than the cores of a full node,
      // and mpirun binds to cores by default only for up to two processes; bind
      // explicitly, letting the (mostly idle) hidden rank share a core.
      argv.insert(argv.end(), {"--bind-to", "core:overload-allowed"});
    }
    argv.insert(argv.end(), spec.launcher_args.begin(), spec.launcher_args.end());
    argv.insert(argv.end(), {"-np", std::to_string(spec.ranks)});
    add_context_hostfile();
    // mpirun's -x applies to the application context it appears in, so each gets its own.
    const auto add_environment = [&argv, &spec] {
      for (const auto& entry : spec.environment) {
        argv.insert(argv.end(), {"-x", entry});
      }
    };
    add_environment();
    argv.insert(argv.end(), spec.rank_wrapper.begin(), spec.rank_wrapper.end());
    argv.push_back(spec.program);
    argv.insert(argv.end(), spec.program_args.begin(), spec.program_args.end());
    if (!spec.hidden_rank.empty()) {
      argv.insert(argv.end(), {":", "-np", "1"});
      add_context_hostfile();
      add_environment();
      argv.insert(argv.end(), spec.hidden_rank.begin(), spec.hidden_rank.end());
    }
    return argv;
  }

 private:
  std::string m_mpirun;
};

}  // namespace

std::unique_ptr<JobLauncher> make_mpirun_launcher(std::string mpirun_path) {
  return std::make_unique<MpirunLauncher>(std::move(mpirun_path));
}

}  // namespace ftmpi
