#!/usr/bin/env bash
# The one deliberate upgrade step: re-resolve the locks to the newest allowed releases, show what moved,
# then install from the new lock and run the whole test suite. Commit the locks only if it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
pins() { grep -E '^[A-Za-z0-9_.-]+==' requirements-dev.lock | cut -d' ' -f1 | sort; }
before=$(pins)
bash scripts/lock-deps.sh --upgrade
echo "Releases that moved (- before, + after):"
diff <(echo "$before") <(pins) | grep -E '^[<>]' | sed 's/^</  -/; s/^>/  +/' || echo "  none"
bash scripts/test.sh "$@"
