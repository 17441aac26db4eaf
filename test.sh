#!/usr/bin/env bash
# Set up (once) and run the whole test suite: lint, types, tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/system-deps.sh test
. scripts/venv.sh test
ruff check .
ruff format --check .
mypy
contracts="$(lint-imports --no-cache --no-logo 2>&1)" || { echo "$contracts"; exit 1; }
echo "import-linter: ${contracts##*$'\n'}"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
QT_QPA_PLATFORM=offscreen python -m pytest "$@"
