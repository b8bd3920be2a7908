#!/usr/bin/env bash
# The README's run command: installs what is missing (apt), builds, and serves HTTPS on
# 127.0.0.1:8443 with an SQLite database and a generated development certificate under ./var.
# Extra arguments go to `connect-auth serve` (e.g. --listen 127.0.0.1:9443, --insecure-http).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNECT_AUTH_TESTS=OFF \
  -DCONNECT_AUTH_BENCH=OFF >/dev/null
ninja -C build connect-auth
exec build/src/connect-auth serve --data-dir "${CONNECT_AUTH_DATA_DIR:-var}" "$@"
