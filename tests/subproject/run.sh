#!/usr/bin/env bash
# Builds tests/subproject (edgetrace added with add_subdirectory) as a user would: a plain
# `cmake -DCMAKE_BUILD_TYPE=Release` with the default compiler, then runs its program.
# Usage: run.sh <edgetrace source dir> <work dir>
set -euo pipefail
src="$1"
work="$2"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# Only what a user passes: no preset, none of the project's cache variables.
env -u CXXFLAGS -u CFLAGS cmake -S "$src/tests/subproject" -B "$work" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DEDGETRACE_SOURCE_DIR="$src" "${launcher[@]}" >/dev/null
cmake --build "$work" --target consumer -j "${EDGETRACE_JOBS:-$(nproc)}"
"$work/consumer"
