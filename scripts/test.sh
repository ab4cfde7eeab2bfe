#!/usr/bin/env bash
# The one test command (README, "Testing"). Runs everything: rustfmt, clippy
# -D warnings, unit + integration + doc tests, the main example, loom models,
# miri, the no_std cross-builds, the Cortex-M3 firmware under QEMU, and the
# export checks (promtool, and a real Prometheus scraping the endpoint). It installs what it needs, and prints
# `SKIPPED: <what> (<why>)` for a check whose tool truly cannot be had.
#
# Every check runs even after a failure; the exit status is non-zero if any
# check failed. The last line is `checks: N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=()
log() { printf '\n==> %s\n' "$*"; }
step() { # step "name" command...
    local name=$1; shift
    log "$name"
    local t0=$SECONDS
    if "$@"; then
        PASSED=$((PASSED + 1)); echo "PASS: $name ($((SECONDS - t0))s)"
    else
        FAILED=$((FAILED + 1)); FAILURES+=("$name"); echo "FAIL: $name ($((SECONDS - t0))s)"
    fi
}
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIPPED: $1 ($2)"; }
suite() { # suite NAME SCRIPT: a sub-suite that prints its own PASS/FAIL/SKIPPED
    # lines and leaves target/NAME-tally (scripts/lib.sh); no tally means it
    # died early, which counts as a failure.
    local name=$1 script=$2 rc p f s
    rm -f "target/$name-tally"
    "$script"; rc=$?
    read -r p f s < "target/$name-tally" 2>/dev/null || { p=0 f=1 s=0; }
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    [ "$rc" = 0 ] || FAILURES+=("$name")
}

# ---------------------------------------------------------------- tools
have_target() { rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1" >/dev/null 2>&1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
HAVE_MIRI=0
if cargo +nightly miri --version >/dev/null 2>&1 || { rustup toolchain install nightly --profile minimal >/dev/null 2>&1 && rustup +nightly component add miri rust-src >/dev/null 2>&1; }; then
    cargo +nightly miri --version >/dev/null 2>&1 && HAVE_MIRI=1
fi

# ---------------------------------------------------------------- host checks
step "rustfmt --check" cargo fmt --all -- --check
step "clippy -D warnings (std, all targets)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy -D warnings (defmt feature)" cargo clippy --all-targets --features defmt -- -D warnings
step "clippy -D warnings (serde + metrics + prometheus-client features)" cargo clippy --all-targets --features serde,metrics,prometheus-client -- -D warnings
step "clippy -D warnings (flamegraph + tracing features)" cargo clippy --all-targets --features flamegraph,tracing -- -D warnings
step "clippy -D warnings (no_std core + serde)" cargo clippy --lib --no-default-features --features serde -- -D warnings
step "tests: unit, integration, doc (std)" cargo test --workspace
step "tests: unit, integration, doc (defmt feature)" cargo test --features defmt
step "tests: unit, integration, doc (serde + metrics + prometheus-client features)" cargo test --features serde,metrics,prometheus-client
step "tests: unit, integration, doc (flamegraph + tracing features)" cargo test --features flamegraph,tracing
step "tests: core without std (lib + doc)" cargo test --no-default-features --lib
step "rustdoc -D warnings (every public item documented, links resolve)" \
    env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features serde,metrics,defmt,prometheus-client,flamegraph,tracing

# Every feature on its own, without the defaults (cargo hack --each-feature,
# spelled out). The two portable-atomic pass-throughs are for chips without
# CAS and are built by scripts/cross.sh there; they exclude each other.
feature_matrix() {
    local f
    for f in std defmt serde metrics prometheus-client flamegraph tracing "serde,std"; do
        echo "  --no-default-features --features $f"
        cargo check --quiet --lib --no-default-features --features "$f" || return 1
    done
}
step "feature matrix: each feature alone (cargo check)" feature_matrix

# The MSRV is the one Cargo.toml claims, checked with that exact toolchain.
MSRV=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
msrv_check() {
    cargo "+$MSRV" check --quiet --lib && cargo "+$MSRV" check --quiet --lib --no-default-features \
        && cargo "+$MSRV" check --quiet --lib --features serde,metrics,defmt,flamegraph,tracing
}
if rustup toolchain list | grep -q "^$MSRV" || rustup toolchain install "$MSRV" --profile minimal >/dev/null 2>&1; then
    step "rust-version $MSRV: the library checks with that toolchain" msrv_check
else
    skip "rust-version $MSRV check" "rustup toolchain install $MSRV failed"
fi

step "cargo publish --dry-run (package builds from its tarball)" cargo publish --dry-run --allow-dirty --quiet -p perftrack

run_hot_loop() {
    local out
    out=$(cargo run --release --example hot_loop) || return 1
    echo "$out"
    grep -q '^=== Performance Report ===$' <<<"$out" && grep -q 'ns/record' <<<"$out"
}
step "main job: cargo run --release --example hot_loop" run_hot_loop

step "loom models (release, LOOM_MAX_PREEMPTIONS=2, floors of explored executions)" scripts/loom.sh --nocapture

if [ "$HAVE_MIRI" = 1 ]; then
    step "miri: unit + invariant + no-alloc + counting-allocator tests" cargo +nightly miri test --lib --test invariants --test no_alloc --test alloc_attribution --test alloc_threads
else
    skip "miri" "nightly miri component could not be installed"
fi

# ---------------------------------------------------------------- no_std cross-builds
suite cross scripts/cross.sh

# ---------------------------------------------------------------- firmware under QEMU
# firmware.sh installs qemu-system-arm (and defmt-print, cached under
# target/tools) when missing, and prints SKIPPED where it cannot.
suite firmware scripts/firmware.sh

# ---------------------------------------------------------------- export: promtool and a real Prometheus
suite export scripts/export.sh

# ---------------------------------------------------------------- flamegraph: inferno, flamegraph.pl, headless Chromium
# flamegraph.sh installs chromium when missing, and prints SKIPPED where it cannot.
suite flamegraph scripts/flamegraph.sh

# ---------------------------------------------------------------- summary
echo
if [ "${#FAILURES[@]}" -gt 0 ]; then printf 'failed: %s\n' "${FAILURES[@]}"; fi
echo "checks: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
