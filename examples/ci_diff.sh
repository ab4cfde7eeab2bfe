#!/usr/bin/env bash
# Did this branch make it slower? Runs an instrumented program on the base
# commit and on the working tree, each writing its snapshot at exit
# (#[perftrack::main] with PERFTRACK_OUT=json=...), then compares them with
# `perftrack diff`. The Markdown table is ready for a PR comment.
#
#   examples/ci_diff.sh [BASE_REF] [THRESHOLD]    (defaults: origin/main, 5%)
#
# The base runs twice, before and after the head, and the two base runs are
# compared first (an A/A run): the diff's verdicts allow for sampling and
# bucket error, not for a machine whose runs differ by themselves (other
# load, CPU frequency, code layout). If the base regressed or improved
# against itself at the threshold, the script says so and exits 2: raise
# the threshold, or quiet the machine. Otherwise
# it exits 1 when an operation of the head regressed, and 0 when none did.
#
# EXAMPLE names the example to run (default: measured, the README's
# one-line-per-function program).
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref=${1:-origin/main}
threshold=${2:-5%}
example=${EXAMPLE:-measured}
out=$(mktemp -d)
trap 'git worktree remove --force "$out/base" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT

git worktree add --detach "$out/base" "$base_ref" >/dev/null
run() { # DIR OUT
    (cd "$1" && PERFTRACK_OUT="json=$2" cargo run --quiet --release --example "$example" --features serde >/dev/null 2>&1)
}
run "$out/base" "$out/base.jsonl"
run "$PWD" "$out/head.jsonl"
run "$out/base" "$out/base-again.jsonl"

perftrack() { cargo run --quiet --release -p perftrack-cli -- "$@"; }
perftrack diff "$out/base.jsonl" "$out/base-again.jsonl" --threshold "$threshold" >"$out/aa.txt" || true
if grep -Eq ' (regressed|improved)$' "$out/aa.txt"; then
    echo "The base differs from itself at a threshold of $threshold on this machine (an A/A run):"
    cat "$out/aa.txt"
    echo "Raise the threshold above these changes; no verdict on the head."
    exit 2
fi
perftrack diff "$out/base.jsonl" "$out/head.jsonl" --threshold "$threshold" --format markdown
