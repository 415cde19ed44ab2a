#!/usr/bin/env bash
# Builds tests/subproject (edgetrace added with FetchContent from the checkout) as a user
# would: a plain `cmake -DCMAKE_BUILD_TYPE=Release` with the default compiler, edgetrace's
# libraries shared (-DBUILD_SHARED_LIBS=ON), then checks the shared SDK and runs the program:
#   - each library's SONAME is libedgetrace_<name>.so.<major>.<minor>;
#   - libedgetrace_sdk.so exports nothing outside the edgetrace:: namespace (weak template
#     instantiations aside: each user makes its own);
#   - the program loads the shared SDK and logs.
# Usage: run.sh <edgetrace source dir> <work dir>
set -euo pipefail
src="$1"
work="$2"
version=$(sed -n 's/^project(edgetrace VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
fail() { echo "FAILED: $*" >&2; exit 1; }
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# Only what a user passes: no preset, none of the project's cache variables.
env -u CXXFLAGS -u CFLAGS cmake -S "$src/tests/subproject" -B "$work" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DEDGETRACE_SOURCE_DIR="$src" \
  "${launcher[@]}" >/dev/null
cmake --build "$work" --target consumer -j "${EDGETRACE_JOBS:-$(nproc)}"

lib=$(find "$work" -name "libedgetrace_sdk.so.$version")
[ -n "$lib" ] || fail "no libedgetrace_sdk.so.$version"
for so in $(find "$work" -name "libedgetrace_*.so.$version"); do
  soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  expected="$(basename "$so" ".$version").${version%.*}"
  [ "$soname" = "$expected" ] || fail "$(basename "$so"): SONAME '$soname', not '$expected'"
done
nm -D --defined-only -C "$lib" > "$work/sdk.exports"
leaked=$(awk '$2 != "W" && $2 != "V" && $2 != "u"' "$work/sdk.exports" |
  grep -v -E ' (edgetrace::|typeinfo for edgetrace::|typeinfo name for edgetrace::|vtable for edgetrace::|VTT for edgetrace::|guard variable for edgetrace::)' || true)
[ -z "$leaked" ] || { echo "$leaked" | head -20; fail "libedgetrace_sdk.so exports symbols outside edgetrace::"; }
grep ' T edgetrace::sdk::TracingBuilder::build' "$work/sdk.exports" >/dev/null ||
  fail "libedgetrace_sdk.so does not export TracingBuilder::build"
ldd "$work/consumer" > "$work/consumer.ldd"
grep "libedgetrace_sdk.so.${version%.*} => $work/" "$work/consumer.ldd" >/dev/null ||
  fail "the consumer does not load the shared SDK"
echo "shared libraries: SONAME major.minor, only edgetrace:: exported"
"$work/consumer"
