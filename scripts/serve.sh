#!/usr/bin/env bash
# Set up (if needed) and start the HTTP service on the shipped default model (port 3000 unless given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/axistag serve "$@"
