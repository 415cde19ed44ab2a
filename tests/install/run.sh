#!/usr/bin/env bash
# Installs edgetrace the three ways docs/install.md describes and builds consumers against
# the installed files only:
#   packages  cpack builds the Debian packages from <build>; each is checked (version,
#             Depends from dpkg-shlibdeps, lintian) and unpacked with dpkg -x into a
#             throwaway root. Against that root: examples/consumer (find_package, the OTLP
#             layer) sends a span to the packaged edgetraced, which must write it to its
#             file exporter; a console-only CMake consumer loads no gRPC/protobuf; a
#             pkg-config consumer; the example firmware built with arm-none-eabi-gcc
#             against the installed device library, run under QEMU and decoded by the
#             packaged edgetrace CLI.
#   source    `cmake --install <build> --component dev` into a prefix, examples/consumer
#             built against it.
# (The third way, a CMake subproject, is the build.subproject_release test.)
#
#   shared    the SDK built as shared libraries: SONAME, exported symbols, a consumer.
#
#   tests/install/run.sh <source dir> <build dir> <work dir> packages|source|shared
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
work="$3"
mode="$4"
jobs="${EDGETRACE_JOBS:-$(nproc)}"
version=$(sed -n 's/^project(edgetrace VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# Consumers are built with the default compiler and flags, as a user's project would be.
consumer_cmake() {
  env -u CXXFLAGS -u CFLAGS cmake -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_consumer_with_daemon <consumer> <edgetraced>: the consumer's span and log must reach
# the daemon's OTLP/HTTP receiver and its file exporter.
run_consumer_with_daemon() {
  local consumer="$1" daemon="$2" port
  port=$(free_port)
  rm -rf "$work/daemon"
  mkdir -p "$work/daemon"
  cat > "$work/daemon/edgetraced.toml" <<TOML
[admin]
listen = ""
[symbols]
store = "$work/daemon/symbols"
[receivers.device_tcp]
listen = ""
[receivers.otlp]
http = "127.0.0.1:$port"
grpc = ""
[queue]
dir = "$work/daemon/queue"
[exporters.file]
path = "$work/daemon/otlp.jsonl"
TOML
  "$daemon" --check-config "$work/daemon/edgetraced.toml"
  timeout 60 "$daemon" --config "$work/daemon/edgetraced.toml" > "$work/daemon/out.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_BSP_SCHEDULE_DELAY=100 \
    "$consumer" | tee "$work/consumer.out"
  grep -q "hello from an installed edgetrace" "$work/consumer.out" ||
    fail "the consumer printed nothing on the console"
  for _ in $(seq 100); do
    grep -q '"consumer.run"' "$work/daemon/otlp.jsonl" 2>/dev/null &&
      grep -q 'hello from an installed edgetrace' "$work/daemon/otlp.jsonl" && break
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid" || true
  grep -q '"consumer.run"' "$work/daemon/otlp.jsonl" ||
    { cat "$work/daemon/out.log"; fail "the consumer's span did not reach edgetraced"; }
  grep -q 'hello from an installed edgetrace' "$work/daemon/otlp.jsonl" ||
    fail "the consumer's log did not reach edgetraced"
  echo "$(basename "$consumer"): span and log delivered over OTLP to the packaged edgetraced"
}

if [ "$mode" = shared ]; then
  # The SDK as shared libraries: SONAME major.minor, only edgetrace:: exported, and a
  # program linked against them runs.
  step "shared libraries (-DBUILD_SHARED_LIBS=ON)"
  launcher=()
  if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=true
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  consumer_cmake -S "$src" -B "$work/shared" -DBUILD_SHARED_LIBS=ON -DEDGETRACE_BUILD_TESTS=OFF \
    -DEDGETRACE_BUILD_APPS=OFF -DEDGETRACE_BUILD_EXAMPLES=OFF -DEDGETRACE_BUILD_BENCH=OFF \
    "${launcher[@]}"
  cmake --build "$work/shared" --target edgetrace_sdk -j "$jobs"
  lib=$(find "$work/shared" -name "libedgetrace_sdk.so.$version")
  soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [ "$soname" = "libedgetrace_sdk.so.${version%.*}" ] || fail "SONAME is '$soname'"
  # Every exported symbol belongs to edgetrace (weak template instantiations excepted: the
  # consumer makes its own).
  leaked=$(nm -D --defined-only -C "$lib" | awk '$2 != "W" && $2 != "V" && $2 != "u"' |
    grep -v -E ' (edgetrace::|typeinfo for edgetrace::|typeinfo name for edgetrace::|vtable for edgetrace::|guard variable for edgetrace::)' || true)
  [ -z "$leaked" ] || { echo "$leaked" | head -20; fail "libedgetrace_sdk.so exports symbols outside edgetrace::"; }
  libdirs=$(find "$work/shared" -name 'libedgetrace_*.so' -printf '%h\n' | sort -u)
  ldflags=()
  for d in $libdirs; do ldflags+=(-L"$d"); done
  g++ -std=c++20 -O2 -o "$work/shared_consumer" "$src/tests/subproject/main.cpp" -I"$src/include" \
    -I"$work/shared/generated/include" "${ldflags[@]}" -ledgetrace_sdk -ledgetrace_config \
    -ledgetrace_otlp_options -ledgetrace_core -lfmt -pthread
  export LD_LIBRARY_PATH
  LD_LIBRARY_PATH=$(echo $libdirs | tr ' ' ':')
  "$work/shared_consumer" | grep "consumer ready"
  ldd "$work/shared_consumer" | grep "libedgetrace_sdk.so.${version%.*} => $work/shared/" ||
    fail "the consumer did not use the shared SDK"
  echo "shared: consumer ready (SONAME $soname)"
  exit 0
fi

if [ "$mode" = source ]; then
  step "cmake --install"
  cmake --install "$build" --prefix "$work/prefix" >/dev/null
  consumer_cmake -S "$src/examples/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix"
  cmake --build "$work/consumer" -j "$jobs"
  run_consumer_with_daemon "$work/consumer/consumer" "$work/prefix/bin/edgetraced"
  [ -f "$work/prefix/lib/systemd/system/edgetraced.service" ] || fail "no systemd unit"
  grep -q "^ExecStart=$work/prefix/bin/edgetraced --config $work/prefix/etc/edgetrace/edgetraced.toml" \
    "$work/prefix/lib/systemd/system/edgetraced.service" || fail "the unit does not name the prefix"
  echo "source install: consumer ready"
  exit 0
fi

step "cpack: Debian packages"
(cd "$build" && cpack -G DEB -B "$work/debs" >/dev/null)
debs=("$work/debs"/*.deb)
ls -l "${debs[@]}"
for pkg in edgetraced edgetrace-cli libedgetrace-dev; do
  deb=$(ls "$work/debs/${pkg}_${version}_"*.deb 2>/dev/null) || fail "no package $pkg $version"
  [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "$pkg: version is not $version"
done
deps=$(dpkg-deb -f "$work/debs/edgetraced_${version}_"*.deb Depends)
echo "edgetraced Depends: $deps"
for lib in libc6 libstdc++6 libsqlite3-0 libcurl4 adduser; do
  echo "$deps" | grep "$lib" >/dev/null || fail "edgetraced: Depends lacks $lib (dpkg-shlibdeps)"
done
dpkg-deb -c "$work/debs/edgetraced_${version}_"*.deb > "$work/edgetraced.contents"
grep -q ' ./lib/systemd/system/edgetraced.service$' "$work/edgetraced.contents" ||
  fail "edgetraced: no systemd unit"
dpkg-deb --ctrl-tarfile "$work/debs/edgetraced_${version}_"*.deb > "$work/edgetraced.control.tar"
tar -xOf "$work/edgetraced.control.tar" ./conffiles | grep -x /etc/edgetrace/edgetraced.toml ||
  fail "edgetraced: config is not a conffile"

if command -v lintian >/dev/null; then
  step "lintian"
  # Each tag suppressed here is explained in docs/install.md ("lintian").
  lintian --fail-on error,warning --suppress-tags-from-file "$src/cmake/package/debian/lintian-suppressions" \
    "${debs[@]}"
  echo "lintian: clean"
else
  fail "lintian is not installed (scripts/setup installs it)"
fi

step "dpkg -x into a throwaway root"
root="$work/root"
for deb in "${debs[@]}"; do dpkg -x "$deb" "$root"; done
prefix="$root/usr"
"$prefix/bin/edgetrace" --version | grep -Ex "(edgetrace )?$version" || fail "edgetrace --version"
"$prefix/bin/edgetrace" version | grep -x "edgetrace $version" || fail "edgetrace version"
"$prefix/bin/edgetraced" --version | grep -x "edgetraced $version" || fail "edgetraced --version"
grep -q "set(PACKAGE_VERSION \"$version\")" "$prefix"/lib/*/cmake/edgetrace/edgetrace-config-version.cmake 2>/dev/null ||
  grep -q "set(PACKAGE_VERSION \"$version\")" "$prefix"/lib/cmake/edgetrace/edgetrace-config-version.cmake ||
  fail "CMake package version is not $version"
echo "versions: edgetrace, edgetraced, packages and the CMake package are $version"
# The packaged config and the maintainer scripts.
"$prefix/bin/edgetraced" --check-config "$root/etc/edgetrace/edgetraced.toml"
tar -xf "$work/edgetraced.control.tar" -C "$work" ./postinst ./postrm
sh -n "$work/postinst" && sh -n "$work/postrm" || fail "maintainer script syntax"
grep -q "User=edgetrace" "$root/lib/systemd/system/edgetraced.service" || fail "unit user"
grep -q "^ExecStart=/usr/bin/edgetraced --config /etc/edgetrace/edgetraced.toml" \
  "$root/lib/systemd/system/edgetraced.service" || fail "unit ExecStart"

step "examples/consumer (find_package, OTLP) against the packages"
consumer_cmake -S "$src/examples/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$work/consumer" -j "$jobs"
run_consumer_with_daemon "$work/consumer/consumer" "$prefix/bin/edgetraced"

step "console-only consumer (COMPONENTS sdk)"
consumer_cmake -S "$src/tests/install/console_only" -B "$work/console_only" -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$work/console_only" -j "$jobs"
if ldd "$work/console_only/console_only" | grep -E 'grpc|protobuf|curl'; then
  fail "the console-only consumer links gRPC, protobuf or libcurl"
fi
"$work/console_only/console_only" | grep "consumer ready"

step "HTTP adapters (COMPONENTS sdk_http_beast sdk_http_httplib sdk_http_curl)"
consumer_cmake -S "$src/tests/install/http_adapters" -B "$work/http_adapters" -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$work/http_adapters" -j "$jobs"
"$work/http_adapters/http_adapters" | grep "http adapters ready"

step "pkg-config consumer"
pcdir=$(dirname "$(find "$prefix" -name edgetrace-sdk.pc)")
export PKG_CONFIG_PATH="$pcdir"
[ "$(pkg-config --modversion edgetrace-sdk)" = "$version" ] || fail "pkg-config version"
# shellcheck disable=SC2046
g++ -std=c++20 -O2 -o "$work/pc_consumer" "$src/tests/subproject/main.cpp" \
  $(pkg-config --cflags --libs edgetrace-sdk)
"$work/pc_consumer" | grep "consumer ready"
# shellcheck disable=SC2046
g++ -std=c++20 -O2 -o "$work/pc_consumer_otlp" "$src/examples/consumer/main.cpp" \
  $(pkg-config --cflags --libs edgetrace-sdk-otlp)
run_consumer_with_daemon "$work/pc_consumer_otlp" "$prefix/bin/edgetraced"
unset PKG_CONFIG_PATH

if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
  step "firmware against the installed device library (arm-none-eabi-gcc, QEMU)"
  cmake -S "$src/firmware" -B "$work/firmware/arm" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCMAKE_TOOLCHAIN_FILE="$prefix/share/edgetrace/device/arm-none-eabi.cmake" \
    -DEDGETRACE_FIRMWARE_DEVICE_LIBRARY=installed \
    -Dedgetrace_DIR="$(dirname "$(find "$prefix" -name edgetrace-config.cmake)")" >/dev/null
  cmake --build "$work/firmware/arm"
  grep -q "$prefix/share/edgetrace/device/src/device.cpp" "$work/firmware/arm/build.ninja" ||
    fail "the firmware was not built from the installed device library"
  "$src/firmware/e2e.sh" "$work/firmware" "$prefix/bin/edgetrace" verify
  "$src/firmware/e2e.sh" "$work/firmware" "$prefix/bin/edgetrace" run
else
  fail "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup installs them)"
fi

echo "packages: all consumers ready"
