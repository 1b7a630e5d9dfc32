#!/usr/bin/env bash
# lint.sh [--format] [--tidy] [--fix] [BUILD_DIR]
#   --format  clang-format check of every tracked C and C++ file (.clang-format)
#   --tidy    clang-tidy (.clang-tidy) over the project's C++ sources, using
#             BUILD_DIR/compile_commands.json (default: build)
#   --fix     rewrite files with clang-format instead of checking them
# With neither --format nor --tidy, runs both.  Exit 1 when a check finds something.
set -euo pipefail
cd "$(dirname "$0")/.."

do_format=0 do_tidy=0 fix=0 build_dir=build
for arg in "$@"; do
  case $arg in
    --format) do_format=1 ;;
    --tidy) do_tidy=1 ;;
    --fix) fix=1 do_format=1 ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lint.sh: unknown option '$arg'" >&2; exit 2 ;;
    *) build_dir=$arg ;;
  esac
done
if [[ $do_format -eq 0 && $do_tidy -eq 0 ]]; then
  do_format=1 do_tidy=1
fi


# Tracked files matching the patterns; every matching file when this is no git checkout.
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- "$@"
  else
    local pattern
    for pattern in "$@"; do
      find . -path ./build -prune -o -path "./${pattern}" -type f -print | sed 's|^\./||'
    done | sort -u
  fi
}

rc=0
if [[ $do_format -eq 1 ]]; then
  mapfile -t files < <(list_files '*.c' '*.h' '*.cpp' '*.hpp')
  if [[ $fix -eq 1 ]]; then
    clang-format -i "${files[@]}"
    echo "lint: formatted ${#files[@]} files"
  elif clang-format --dry-run --Werror "${files[@]}"; then
    echo "lint: clang-format: ${#files[@]} files clean"
  else
    echo "lint: clang-format: files above need formatting (scripts/lint.sh --fix)" >&2
    rc=1
  fi
fi
if [[ $do_tidy -eq 1 ]]; then
  db="$build_dir/compile_commands.json"
  [[ -f $db ]] || { echo "lint: $db missing: configure the build first" >&2; exit 2; }
  mapfile -t files < <(list_files 'libftmpi/*.cpp' 'launcher/*.cpp' 'cluster/*.cpp' 'predictor/*.cpp' 'tests/*.cpp')
  if printf '%s\n' "${files[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy --quiet -p "$build_dir" 2>/dev/null; then
    echo "lint: clang-tidy: ${#files[@]} files clean"
  else
    echo "lint: clang-tidy found problems (above)" >&2
    rc=1
  fi
fi
exit $rc
