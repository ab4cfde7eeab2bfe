#!/usr/bin/env bash
# Did this branch make it slower? Runs an instrumented program on the base
# commit and on the working tree, each writing its snapshot at exit
# (#[perftrack::main] with PERFTRACK_OUT=json=...), then compares them with
# `perftrack diff`. Exits 1 when an operation regressed past the threshold,
# so a CI job fails on it; the Markdown table is ready for a PR comment.
#
#   examples/ci_diff.sh [BASE_REF] [THRESHOLD]    (defaults: origin/main, 5%)
#
# EXAMPLE names the example to run (default: measured, the README's
# one-line-per-function program). Run both sides on the same machine, one
# after the other: the verdicts assume the two runs differ only by the code.
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref=${1:-origin/main}
threshold=${2:-5%}
example=${EXAMPLE:-measured}
out=$(mktemp -d)
trap 'git worktree remove --force "$out/base" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT

git worktree add --detach "$out/base" "$base_ref" >/dev/null
for side in base head; do
    dir=$PWD
    [ "$side" = base ] && dir="$out/base"
    (cd "$dir" && PERFTRACK_OUT="json=$out/$side.jsonl" \
        cargo run --quiet --release --example "$example" --features serde >/dev/null 2>&1)
done
cargo run --quiet --release -p perftrack-cli -- \
    diff "$out/base.jsonl" "$out/head.jsonl" --threshold "$threshold" --format markdown
