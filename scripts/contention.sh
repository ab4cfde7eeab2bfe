#!/usr/bin/env bash
# Regenerates the contention tables (docs/BENCHMARKS.md).
#
#   scripts/contention.sh            build and run here; prints the table
#   scripts/contention.sh --build    only build, and copy the binary to bench-bin/
#                                    (carry bench-bin/ to a bigger machine, then run
#                                    `bench-bin/contention` there: it needs no toolchain)
#
# PERFTRACK_ITERS sets records per thread (default 500000);
# PERFTRACK_REPS the runs per cell, whose median is shown (default 5);
# PERFTRACK_THREADS the thread counts, e.g. 1,2,16 (default 1, 2, 4, ... cores);
# PERFTRACK_TABLE_OUT=path also writes the table to a file.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p perftrack-bench --bench contention --no-run
bin=$(ls -t target/release/deps/contention-* | grep -v '\.d$' | head -1)
if [ "${1:-}" = --build ]; then
    mkdir -p bench-bin && cp "$bin" bench-bin/contention && echo "bench-bin/contention"
else
    "$bin"
fi
