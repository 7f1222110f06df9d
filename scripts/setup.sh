#!/usr/bin/env bash
# Create .venv and install axistag with its test tools from the hash-checked lock; a no-op when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
stamp=.venv/.installed-$(cat requirements-dev.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    # Every pinned version and file hash comes from the lock (torch is its CPU build, 2.13.0+cpu).
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
    .venv/bin/python -m pip install --quiet --no-deps -e .
    .venv/bin/python -m pip check
    rm -f .venv/.installed-*
    touch "$stamp"
fi
