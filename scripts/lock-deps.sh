#!/usr/bin/env bash
# Resolve pyproject.toml's ranges into the two hash-pinned locks (Linux x86_64, CPU, Python 3.11):
# requirements.lock for the service and the Bento, requirements-dev.lock adds the test tools and the Ray extra.
# Keeps existing pins where they still fit; pass --upgrade to move every package to its newest allowed release.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only pip-compile is needed: a full set-up would refuse a pyproject.toml whose new ranges are not locked yet.
[ -x .venv/bin/pip-compile ] || bash scripts/setup.sh
compile=(.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras
    --no-emit-index-url --no-emit-find-links "$@")
"${compile[@]}" --output-file requirements.lock pyproject.toml
"${compile[@]}" --extra dev --extra ray --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml
