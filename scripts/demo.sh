#!/usr/bin/env bash
# Starts the demo (controller + embedded broker + three simulated rooms); installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/demo.ts
