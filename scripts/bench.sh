#!/usr/bin/env bash
# Runs the criterion benches and prints each group's medians as a markdown
# table, with ratios to the cheapest *peer* in the same run (a bare
# fetch_add and perftrack itself are not peers).
# Usage: scripts/bench.sh [criterion filter]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# $(date -u +%Y-%m-%d) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
cargo bench -p perftrack-bench --bench record -- --warm-up-time 1 --measurement-time 3 "$@" >&2
python3 scripts/ratios.py target/criterion
