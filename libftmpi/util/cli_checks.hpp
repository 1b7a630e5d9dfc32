// Checks of command-line values that the tools share (CLI11, header only: for the
// tools' mains, not for the libraries).
#pragma once

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "util/exit_codes.hpp"

namespace ftmpi {

// A finite number.  CLI::Range lets "nan" through (every comparison with NaN is false),
// and no setting means "inf"; chained with a Range where there is one.
inline CLI::Validator finite() {
  return {[](std::string& input) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(input, value) || !std::isfinite(value)) {
              return "'" + input + "' is not a finite number";
            }
            return {};
          },
          "", "finite"};
}

// A value that is not empty: an empty path or name would silently mean the default.
inline CLI::Validator non_empty() {
  return {[](std::string& input) -> std::string {
            return input.empty() ? std::string("an empty value is not allowed here")
                                 : std::string();
          },
          "", "non-empty"};
}

// The first option on the command line that neither the tool nor the command chosen
// knows ("--bogus" of "--bogus=1"), or "".  CLI11 checks for missing arguments before
// it names unexpected ones, and "TRACE is required" is no answer to a mistyped option.
inline std::string unknown_option(const CLI::App& app, int argc, char** argv) {
  const CLI::App* scope = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      break;
    }
    bool command = false;
    for (const CLI::App* sub : scope->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->check_name(arg)) {
        scope = sub;
        command = true;
      }
    }
    if (command || arg.size() < 2 || arg[0] != '-' ||
        std::isdigit(static_cast<unsigned char>(arg[1])) != 0 || arg[1] == '.') {
      continue;  // a command, a value or a negative number
    }
    const bool joined = arg[1] == '-' ? arg.find('=') != std::string::npos : arg.size() > 2;
    std::string name = arg[1] == '-' ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
    const CLI::Option* known = scope->get_option_no_throw(name);
    known = known != nullptr ? known : app.get_option_no_throw(name);
    if (known == nullptr) {
      return name;
    }
    if (!joined && known->get_expected_min() > 0) {
      i += known->get_expected_min();  // its values, whatever they look like
    }
  }
  return {};
}

// Parses a tool's command line.  --help and --version are printed (0); a command line
// CLI11 refuses is one line "TOOL: WHAT" (an unknown command named as such) and where
// the help is (64).  std::nullopt: the tool goes on.
inline std::optional<int> parse_command_line(const char* tool, CLI::App& app, int argc,
                                             char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (const std::string unknown = unknown_option(app, argc, argv); !unknown.empty()) {
        what = "The following argument was not expected: " + unknown;
      }
    }
    const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
    if (!commands.empty() && app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-') {
      what = std::string("unknown command '") + argv[1] + "' (the commands:";
      for (const CLI::App* command : commands) {
        what += " " + command->get_name();
      }
      what += ")";
    }
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for the usage.\n", tool, what.c_str(), tool);
    return k_exit_usage;
  }
}

}  // namespace ftmpi
