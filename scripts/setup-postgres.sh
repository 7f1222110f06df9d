#!/usr/bin/env bash
# PostgreSQL server binaries for the corrections store's tests (Debian package); skipped when already present.
# The tests start their own throwaway cluster with initdb and pg_ctl; no system service is used.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
else
    echo "note: PostgreSQL is not installed; the PostgreSQL tests will be skipped" >&2
fi
