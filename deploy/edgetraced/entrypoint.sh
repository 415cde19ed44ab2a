#!/bin/sh
# The image's entry point: creates the symbol upload token on the first start (kept in the
# state volume, never in the image or the repository), then runs edgetraced with the
# arguments given (default: --config /etc/edgetraced/edgetraced.toml).
set -eu
token=/var/lib/edgetrace/symbols.token
if [ ! -s "$token" ]; then
  (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$token")
  echo "edgetraced-entrypoint: created the symbol upload token $token" \
       "(read it with: docker compose exec edgetraced cat $token)" >&2
fi
exec /usr/local/bin/edgetraced "$@"
