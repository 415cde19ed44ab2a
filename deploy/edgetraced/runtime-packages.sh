#!/bin/sh
# Prints, one per line, the Debian packages that own the shared libraries the given programs
# load (ldd), so the runtime image installs exactly those. Fails when a library belongs to
# no package: such a library would be missing from the image.
set -eu
libs=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
packages=""
for lib in $libs; do
  # Debian 12 merges /lib into /usr/lib; dpkg knows each file under one of the two names.
  found=""
  for name in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
    if owner=$(dpkg-query -S "$name" 2>/dev/null); then
      found=$(printf '%s\n' "$owner" | head -n 1)
      found=${found%%:*}
      break
    fi
  done
  if [ -z "$found" ]; then
    echo "runtime-packages: no Debian package owns $lib" >&2
    exit 1
  fi
  packages="$packages $found"
done
printf '%s\n' $packages | sort -u
