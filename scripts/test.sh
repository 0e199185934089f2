#!/usr/bin/env bash
# Runs every check and test (formatter and linter, type check, unit and integration tests); installs what is
# missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx biome check .
npx tsc -p tsconfig.json
# The demo (seven cameras with live pictures, three media workers, three simulated chips) takes most of two cores:
# its test runs alone, after the rest, so that timing-sensitive tests never share the machine with it.
npx vitest run --exclude test/demo.test.ts
npx vitest run test/demo.test.ts
