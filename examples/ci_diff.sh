#!/usr/bin/env bash
# Did this branch make it slower? Builds an instrumented program on the base
# commit and on the working tree, runs the two builds interleaved with
# `perftrack ab` (RUNS a side, 5 by default: base, head, head, base, …, so
# that the machine's drift weighs on both sides alike), each run writing its
# snapshot at exit (#[perftrack::main] with PERFTRACK_OUT), then compares the
# runs with `perftrack diff`: the run is the unit, and a change is a verdict
# only when the head's runs stand apart from the base's. The Markdown table
# is ready for a PR comment.
#
#   examples/ci_diff.sh [BASE_REF] [THRESHOLD]    (defaults: origin/main, 5%)
#
# Exit status: `perftrack diff`'s. 0 when no operation regressed, 1 when one
# did, 2 on a bad input; with FAIL_ON_INCONCLUSIVE=1, 3 when the runs were
# too few or too scattered to judge an operation (run more: RUNS=10).
#
# EXAMPLE names the example to run (default: measured, the README's
# one-line-per-function program).
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref=${1:-origin/main}
threshold=${2:-5%}
example=${EXAMPLE:-measured}
runs=${RUNS:-5}
out=$(mktemp -d)
trap 'git worktree remove --force "$out/base" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT

git worktree add --detach "$out/base" "$base_ref" >/dev/null
build() { # DIR: prints the built example's path
    (cd "$1" && cargo build --quiet --release --example "$example" --features serde >/dev/null 2>&1 \
        && echo "$1/target/release/examples/$example")
}
base_bin=$(build "$out/base")
head_bin=$(build "$PWD")
cargo build --quiet --release -p perftrack-cli
perftrack=target/release/perftrack
"$perftrack" ab -n "$runs" --base "$base_bin 2>/dev/null" --head "$head_bin 2>/dev/null" \
    --base-out "$out/base.jsonl" --head-out "$out/head.jsonl"
extra=()
if [ "${FAIL_ON_INCONCLUSIVE:-0}" = 1 ]; then extra+=(--fail-on-inconclusive); fi
"$perftrack" diff "$out/base.jsonl" "$out/head.jsonl" --threshold "$threshold" --format markdown "${extra[@]}"
