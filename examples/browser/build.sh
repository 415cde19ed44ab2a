#!/usr/bin/env bash
# Builds the browser example into OUT_DIR: index.html, config.js and main.js (the page's
# code and the OpenTelemetry JS SDK in one esbuild bundle, with its source map). The page
# then needs no network besides the proxy it sends to.
#
#   examples/browser/build.sh build/browser-example
#   (serve build/browser-example over HTTP and open index.html?proxy=...&token=...)
#
# The npm packages are installed with `npm ci` (exact versions of package-lock.json) into
# OUT_DIR/.npm, not into the source tree, and only again when package-lock.json changes: a
# second run with nothing changed downloads nothing. Install scripts are not run (esbuild's
# own binary comes as a plain npm package). An existing OUT_DIR/config.js is kept (it holds
# your proxy URL and token). Without npm, Debian's nodejs and npm are installed (root or
# sudo). Exit status != 0 on any failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "build.sh: npm is missing and installing it needs root or sudo" >&2
    exit 1
  fi
  echo "build.sh: installing nodejs and npm"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm
fi

work="$out/.npm"
mkdir -p "$work"
if [ ! -d "$work/node_modules" ] || ! cmp -s "$here/package-lock.json" "$work/installed.lock"; then
  rm -f "$work/installed.lock"
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$work/installed.lock"
fi

# The sources next to node_modules, so that esbuild resolves the packages from there.
rm -rf "$work/src"
cp -r "$here/src" "$work/src"
"$work/node_modules/.bin/esbuild" "$work/src/main.js" --bundle --platform=browser \
  --format=iife --target=es2020 --minify --sourcemap --log-level=warning \
  --outfile="$out/main.js"
cp "$here/index.html" "$out/index.html"
[ -f "$out/config.js" ] || cp "$here/config.js" "$out/config.js"
echo "build.sh: $out/index.html, $out/main.js ($(wc -c <"$out/main.js") bytes)"
