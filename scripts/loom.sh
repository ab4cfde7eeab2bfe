#!/usr/bin/env bash
# Runs the loom models in loom-tests/ the way thingbuf's bin/loom and tokio do:
# our own cfg (so no dependency switches into loom mode), release build,
# LOOM_MAX_PREEMPTIONS=2.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="${RUSTFLAGS:-} --cfg perftrack_loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
# A separate target dir keeps the loom-cfg build from invalidating the normal one.
exec cargo test --release -p perftrack-loom-tests --target-dir target/loom --test loom -- --test-threads=2 "$@"
