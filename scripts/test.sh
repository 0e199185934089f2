#!/usr/bin/env bash
# Runs every check and test (formatter and linter, type check, unit and integration tests); installs what is
# missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx biome check .
npx tsc -p tsconfig.json
npx vitest run
