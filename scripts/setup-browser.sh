#!/usr/bin/env bash
# Headless Chromium for the report and web-page tests (Debian packages); skipped when already present.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
else
    echo "note: chromium/chromedriver not installed; browser tests will be skipped" >&2
fi
