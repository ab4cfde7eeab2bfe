#!/usr/bin/env bash
# The test command, in two tiers (CONTRIBUTING.md says what each runs and
# how long it takes):
#
#   scripts/test.sh --quick   a contributor's everyday check: rustfmt, clippy
#                             -D warnings on the default features, the workspace's
#                             unit, integration and doc tests, and one loom model.
#   scripts/test.sh           the full suite, which .ci/run calls: the quick tier,
#                             clippy and tests with every feature, rustdoc and
#                             the docs.rs feature list, the no_std doctests, each
#                             feature alone, the MSRV, the package, the main example,
#                             every loom model, miri over the code that has unsafe
#                             or an atomics protocol, the no_std cross-builds, the
#                             Cortex-M3 firmware under QEMU, the export checks
#                             (promtool, a real Prometheus) and the flamegraph in
#                             headless Chromium.
#
# It installs what it needs, and prints `SKIPPED: <what> (<why>)` for a check
# whose tool truly cannot be had. Every check runs even after a failure; the
# exit status is non-zero if any check failed. The last line is
# `checks: N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

QUICK=0
case "${1:-}" in
    --quick) QUICK=1 ;;
    "") ;;
    -h | --help) sed -n '2,/^set /{/^set /!p}' "$0"; exit 0 ;;
    *) echo "scripts/test.sh: unknown argument '$1' (use --quick, or nothing for the full suite)" >&2; exit 2 ;;
esac

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
suite() { # suite NAME SCRIPT [ARGS...]: a sub-suite that prints its own
    # PASS/FAIL/SKIPPED lines and leaves target/NAME-tally (scripts/lib.sh);
    # no tally means it died early, which counts as a failure.
    local name=$1 script=$2 rc p f s
    shift 2
    rm -f "target/$name-tally"
    "$script" "$@"; rc=$?
    read -r p f s < "target/$name-tally" 2>/dev/null || { p=0 f=1 s=0; }
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    [ "$rc" = 0 ] || FAILURES+=("$name")
}

# ---------------------------------------------------------------- disk
# A full run's clone peaks near 1.4 GiB (3 GiB with debug info and every
# test binary kept), and the toolchains and packages it installs add about
# 2 more. A disk that fills mid-run shows up as a linker's bus error or "No
# space left on device" in whichever step is building, so the room there is
# said up front, where a failure can be traced to it.
FULL_RUN_NEEDS_MIB=4096
disk_free_mib() { df -Pm . 2>/dev/null | awk 'NR == 2 { print $4 }'; }
# The test binaries in target/debug/deps of a step that has run: no later
# step runs them again (each later build has other features), so they only
# take room.
prune_test_binaries() { find target/debug/deps -maxdepth 1 -type f -perm -u+x ! -name '*.so' -delete 2>/dev/null || true; }
if [ "$QUICK" = 0 ]; then
    free=$(disk_free_mib)
    if [ -z "$free" ]; then
        echo "disk: df could not say how much room there is here"
    elif [ "$free" -lt "$FULL_RUN_NEEDS_MIB" ]; then
        echo "disk: WARNING: only $free MiB free here; a full run needs about $FULL_RUN_NEEDS_MIB MiB, and steps will fail when it runs out"
    else
        echo "disk: $free MiB free here (a full run needs about $FULL_RUN_NEEDS_MIB MiB)"
    fi
fi

# ---------------------------------------------------------------- tools
if [ "$QUICK" = 0 ]; then
    # A full run builds everything from scratch once, and debugs nothing:
    # incremental state and debug info only slow that build down and fill
    # the disk (a failed assertion still names its file and line, which the
    # panic carries without debug info; a backtrace would not).
    export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
    # The OS packages of the last checks (QEMU, Prometheus, Chromium),
    # installed while the first checks compile; each of those scripts waits
    # for this and installs on its own only what is still missing.
    mkdir -p target
    missing=()
    command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
    { command -v promtool >/dev/null && command -v prometheus >/dev/null; } || missing+=(prometheus)
    { command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; } \
        || missing+=(chromium)
    if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >target/apt.log 2>&1 &
        APT_PID=$!
    fi
fi
have_target() { rustup target list --installed 2>/dev/null | grep -qx "$1" || rustup target add "$1" >/dev/null 2>&1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
HAVE_MIRI=0
if [ "$QUICK" = 1 ]; then
    :
elif cargo +nightly miri --version >/dev/null 2>&1 || { rustup toolchain install nightly --profile minimal >/dev/null 2>&1 && rustup +nightly component add miri rust-src >/dev/null 2>&1; }; then
    cargo +nightly miri --version >/dev/null 2>&1 && HAVE_MIRI=1
fi

# Miri where it finds what the other checks cannot: the only unsafe code (the
# counting allocator, tests/alloc_*), and the atomics protocols of the record
# path, the registry and the call paths under miri's weak-memory emulation
# (the library's unit tests and tests/invariants.rs). The other unit tests
# (formatting, bucket arithmetic, clocks) are safe, single-threaded code that
# the plain test runs already cover, and so are the report, quantile and
# ordering tests of tests/invariants.rs.
MIRI_SKIP=(--skip export:: --skip histogram::buckets:: --skip histogram::distribution:: --skip instrument::boxed::
    --skip os::calibration:: --skip os::clock:: --skip report_ --skip the_report_and_the_exposition_show_allocations --skip quantiles_cover --skip summaries_come_in)
#
# The unit tests and the allocator's tests run with all of miri's checks. The
# invariants tests run without Stacked Borrows: they drive the record path,
# registry and snapshots, which are safe code (the crate's `unsafe` blocks
# that miri can run, the allocator's and the boxed and heap trackers'
# allocation, get every check in the unit and allocator tests; RDTSC and
# pthread_atfork are compiled out under miri). What miri adds to
# them is its data-race detector and weak-memory emulation, which stay on;
# the aliasing model would check only std's internals there, and it is most
# of miri's time on these threaded tests.
#
# Miri interprets on one core, for about six minutes, so a full run starts
# it first, in the background, where it fills the moments the other checks
# leave a core idle (linking, single-threaded tests, QEMU, Prometheus and
# Chromium waiting); started after the loom models, it was the run's last
# six minutes. Its own target dir, target/miri, takes no lock the others
# need; its log is printed at the end.
miri_checks() {
    cargo +nightly miri test --lib --test alloc_attribution --test alloc_threads -- "${MIRI_SKIP[@]}" \
        && MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-stacked-borrows" \
            cargo +nightly miri test --test invariants -- "${MIRI_SKIP[@]}"
}
MIRI_NAME="miri: the record path, registry and call paths (unit tests), the counting allocator; invariants (weak memory, races)"
if [ "$QUICK" = 1 ]; then
    :
elif [ "$HAVE_MIRI" = 1 ]; then
    log "$MIRI_NAME: started in the background"
    MIRI_T0=$SECONDS
    rm -f target/miri.log
    miri_checks >target/miri.log 2>&1 &
    MIRI_PID=$!
else
    skip "miri" "nightly miri component could not be installed"
fi

# ---------------------------------------------------------------- the quick tier
# Every feature that combines with the others: defmt, serde, metrics,
# prometheus-client, flamegraph, tracing (the portable-atomic pass-throughs
# exclude each other and are built by scripts/cross.sh).
ALL_FEATURES=defmt,serde,metrics,prometheus-client,flamegraph,tracing,macros,http,axum
# The loom model of the quick tier: the owner and a non-owner on one shard
# with a reader, the record path's central protocol.
QUICK_LOOM_MODEL=a_non_owner_racing_the_owner_never_breaks_its_plain_holds

step "rustfmt --check" cargo fmt --all -- --check
step "clippy -D warnings (default features, workspace, all targets)" cargo clippy --workspace --all-targets -- -D warnings
step "tests: unit, integration, doc (default features, workspace)" cargo test --workspace
if [ "$QUICK" = 1 ]; then
    step "loom: $QUICK_LOOM_MODEL" scripts/loom.sh --nocapture --exact "$QUICK_LOOM_MODEL"
    echo
    if [ "${#FAILURES[@]}" -gt 0 ]; then printf 'failed: %s\n' "${FAILURES[@]}"; fi
    echo "checks: $PASSED passed, $FAILED failed, $SKIPPED skipped (quick tier; scripts/test.sh runs everything)"
    [ "$FAILED" = 0 ]
    exit
fi

# ---------------------------------------------------------------- the full suite: host checks
prune_test_binaries
step "clippy -D warnings (every combinable feature, all targets)" cargo clippy --all-targets --features "$ALL_FEATURES" -- -D warnings
step "clippy -D warnings (no_std core + serde)" cargo clippy --lib --no-default-features --features serde -- -D warnings
step "tests: unit, integration, doc (every combinable feature)" cargo test --features "$ALL_FEATURES"
prune_test_binaries
# The doctests of what the core exports without std (the std items' own
# examples are compiled out with them).
no_std_tests() { cargo test --no-default-features --lib && cargo test --no-default-features --doc; }
step "tests: core without std (lib + doc)" no_std_tests
step "rustdoc -D warnings (every public item documented, links resolve)" \
    env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features "$ALL_FEATURES"
step "rustdoc -D warnings at the default features" env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
# The public API is in modules: the crate root re-exports at most 30 names
# (the `pub use` lines of lib.rs outside its inline modules).
root_names() {
    python3 - <<'PY'
import re
s = open("src/lib.rs").read()
s = re.sub(r"(?ms)^pub mod \w+ \{.*?^\}", "", s)
names = []
for m in re.finditer(r"(?m)^pub use ([^;]+);", s):
    t = m.group(1)
    names += [x.strip() for x in t[t.index("{") + 1:t.rindex("}")].split(",") if x.strip()] if "{" in t else [t.split("::")[-1]]
print(len(names), "names at the crate root:", ", ".join(names))
raise SystemExit(0 if 0 < len(names) <= 30 else 1)
PY
}
step "the crate root re-exports at most 30 names" root_names
# Features only add, in the code too: outside the std layer (the modules
# declared only with `std`) no file names the `std` feature, but lib.rs's
# module list and platform/mod.rs, the one compile-time hook. A std-layer
# file may be declared by a `#[cfg(feature = "std")]` line right above its
# `mod` or `pub use` line (export/io.rs is). docs/DESIGN.md, "The std layer
# and the one hook".
core_names_no_std() {
    python3 - <<'PY'
import os, re
HOOK = {"src/lib.rs", "src/platform/mod.rs"}
STD = re.compile(r'^\s*#\[cfg\((?!.*not\((all\()?feature = "std")(?=.*feature = "std").*\)\]\s*$')
DECL = re.compile(r'^\s*(pub(\(crate\))? )?(mod (\w+);|use (\w+)::)')
files = sorted(os.path.join(d, f) for d, _, fs in os.walk("src") for f in fs if f.endswith(".rs"))
def module_dir(path):
    return path[:-len("/mod.rs")] if path.endswith("/mod.rs") else ("src" if path == "src/lib.rs" else path[:-3])
std_layer = []
for path in files:
    lines = open(path).read().split("\n")
    for a, b in zip(lines, lines[1:]):
        m = DECL.match(b)
        if STD.match(a) and m and m.group(4):
            std_layer.append(os.path.join(module_dir(path), m.group(4)))
def in_std_layer(path):
    return any(path == p + ".rs" or path.startswith(p + "/") for p in std_layer)
bad = []
core = [p for p in files if not in_std_layer(p) and p not in HOOK]
for path in core:
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        if 'feature = "std"' not in line:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        m = DECL.match(nxt)
        here = os.path.join(module_dir(path), (m.group(4) or m.group(5) or "")) if m else ""
        if STD.match(line) and m and (m.group(4) or m.group(1) == "pub ") and here in std_layer:
            continue
        bad.append(f"{path}:{i + 1}: {line.strip()}")
print(f"{len(core)} core files; std layer: {', '.join(sorted(p[4:] for p in std_layer))}")
for b in bad:
    print("names std outside the std layer:", b)
raise SystemExit(1 if bad or len(core) < 40 else 0)
PY
}
step "the core names no std feature (below the std layer only the platform hook, lib.rs and std-layer mod lines do)" core_names_no_std
# docs.rs builds the features Cargo.toml lists for it, not --all-features
# (the portable-atomic pass-throughs exclude each other): every combinable
# feature must be in that list, or its items are missing from the docs.
docs_rs_features() {
    local listed f missing=0
    listed=$(sed -n '/^\[package.metadata.docs.rs\]/,/^\[/s/^features = \[\(.*\)\]/\1/p' Cargo.toml | tr -d '" ' | tr , '\n')
    for f in std ${ALL_FEATURES//,/ }; do
        grep -qx "$f" <<<"$listed" || { echo "feature '$f' is not in [package.metadata.docs.rs] features"; missing=1; }
    done
    [ -n "$listed" ] && [ "$missing" = 0 ] && echo "docs.rs features: $(tr '\n' ' ' <<<"$listed")"
}
# Features only add: a no_std library's tracker static is the same size
# whether or not another crate of the build turns perftrack's `std` on.
# tests/feature-probe is such a library, in a workspace of its own so that
# no other member's features are unified into its build.
feature_independent_size() {
    local without with
    without=$(cd tests/feature-probe && CARGO_TARGET_DIR=../../target/feature-probe cargo run -q --bin sizes) || return 1
    with=$(cd tests/feature-probe && CARGO_TARGET_DIR=../../target/feature-probe cargo run -q --bin sizes --features std) || return 1
    echo "$without"; echo "$with"
    [ "${without#std=false }" = "${with#std=true }" ] && [ "$without" != "$with" ]
}
step "features only add: a no_std library's tracker static has one size with and without std (size_of)" feature_independent_size
step "docs.rs documents every combinable feature (package.metadata.docs.rs)" docs_rs_features

# Every feature on its own, without the defaults (cargo hack --each-feature,
# spelled out). The two portable-atomic pass-throughs are for chips without
# CAS and are built by scripts/cross.sh there; they exclude each other.
feature_matrix() {
    local f
    for f in std defmt serde metrics prometheus-client flamegraph tracing macros http axum off "macros,off" "serde,std"; do
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

step "cargo publish --dry-run (perftrack-macros, perftrack and perftrack-cli build from their tarballs, in one invocation)" \
    cargo publish --dry-run --allow-dirty --quiet -p perftrack-macros -p perftrack -p perftrack-cli

# The README's install line works as written: a scratch crate beside a
# clone depends on it by the README's path form, and its main is the
# README's quick start.
readme_install_line() {
    local dir line rc
    dir=$(mktemp -d)
    line=$(sed -n '/^## Quick start/,/^```$/{/^perftrack = /p}' README.md)
    [ -n "$line" ] || { echo "no install line under 'Quick start' in README.md"; rm -rf "$dir"; return 1; }
    ln -s "$PWD" "$dir/perftrack"
    mkdir -p "$dir/app/src"
    printf '[package]\nname = "app"\nversion = "0.0.0"\nedition = "2024"\n\n[workspace]\n\n[dependencies]\n%s\n' "$line" >"$dir/app/Cargo.toml"
    sed -n '/^## Quick start/,/^## /p' README.md | sed -n '/^```rust$/,/^```$/{/^```/!p}' >"$dir/app/src/main.rs"
    echo "install line: $line"
    (cd "$dir/app" && CARGO_TARGET_DIR="$OLDPWD/target/readme-install" cargo run --quiet) | tail -3
    rc=${PIPESTATUS[0]}
    rm -rf "$dir"
    return "$rc"
}
step "README install line: a scratch crate depends on perftrack by its path form and runs the quick start" readme_install_line

run_hot_loop() {
    local out
    out=$(cargo run --release --example hot_loop) || return 1
    echo "$out"
    grep -q '^=== Performance Report ===$' <<<"$out" && grep -q 'ns/record' <<<"$out"
}
step "main job: cargo run --release --example hot_loop" run_hot_loop

# #[perftrack::main]: the report on stderr at exit, and the PERFTRACK_OUT
# files, each read back (the JSON by Python's json module and its version).
report_at_exit() {
    local dir err
    dir=$(mktemp -d)
    err=$(PERFTRACK_OUT="json=$dir/run.jsonl,folded=$dir/run.folded" \
        cargo run --quiet --example measured --features serde 2>&1 >/dev/null) || { echo "$err"; rm -rf "$dir"; return 1; }
    echo "$err" | head -12
    grep -q '^=== Performance Report ===$' <<<"$err" && grep -q '^handle ' <<<"$err" \
        && grep -q '^handle;tokenize [0-9]*$' "$dir/run.folded" && grep -q '^format_request [0-9]*$' "$dir/run.folded" \
        && python3 -c 'import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[0])
names = {s["name"]: s["count"] for s in line["summaries"]}
assert line["version"] == 6 and names == {"handle": 20000, "tokenize": 20000, "checksum": 20000, "format_request": 20000}, names
print("PERFTRACK_OUT json:", names)' "$dir/run.jsonl"
    local rc=$?
    rm -rf "$dir"
    return $rc
}
step "#[perftrack::main]: the report at exit, and PERFTRACK_OUT json and folded files" report_at_exit

# The README's async recipe as a real axum service (a workspace member, so
# that axum and tokio stay out of the main crate's dev-dependencies): it
# compiles only if #[measure] keeps the handlers' futures Send; it serves,
# calls itself, and checks the counts, the cancelled calls and the tree.
step "axum service: #[measure] handlers are Send, nest, and count cancelled calls" \
    cargo run --quiet -p perftrack-axum-example -- --check

# Feature `off`: the attributes expand to the plain item, so the instrumented
# binary links no perftrack code; the same binary built without `off` does.
off_has_no_symbols() {
    local bin=target/release/examples/measured on off
    cargo build --quiet --release --example measured || return 1
    on=$(nm "$bin" | grep -c perftrack)
    cargo build --quiet --release --example measured --features off || return 1
    off=$(nm "$bin" | grep -c perftrack)
    echo "perftrack symbols in the measured example: $on instrumented, $off with feature off"
    [ "$on" -gt 0 ] && [ "$off" = 0 ]
}
if command -v nm >/dev/null; then
    step "feature off: an instrumented binary contains no perftrack symbol (nm)" off_has_no_symbols
else
    skip "feature off symbol check" "nm (binutils) not installed"
fi

step "loom models (release, LOOM_MAX_PREEMPTIONS=2, floors of explored executions)" scripts/loom.sh --nocapture

# ---------------------------------------------------------------- no_std cross-builds
suite cross scripts/cross.sh

# ---------------------------------------------------------------- firmware under QEMU
# firmware.sh installs qemu-system-arm (and defmt-print, cached under
# target/tools) when missing, and prints SKIPPED where it cannot.
if [ -n "${APT_PID:-}" ]; then
    wait "$APT_PID" || echo "(the background apt-get install failed: target/apt.log; the scripts below try again)"
fi
# ---------------------------------------------------------------- verdicts over real runs
# The verdict study in small: 10 interleaved comparisons each of one binary
# against itself and of a 25% slower function, 5 runs a side, asserted;
# then `perftrack trend` on those runs, its chart in headless Chromium.
# It waits for the packages above (Chromium), and runs beside miri's background core, which the study's targets allow
# for (they were met with both cores busy: docs/BENCHMARKS.md).
suite diff-study scripts/diff_study.sh --check

suite firmware scripts/firmware.sh

# ---------------------------------------------------------------- export: promtool and a real Prometheus
suite export scripts/export.sh

# ---------------------------------------------------------------- flamegraph: inferno, flamegraph.pl, headless Chromium
# flamegraph.sh installs chromium when missing, and prints SKIPPED where it cannot.
suite flamegraph scripts/flamegraph.sh

# ---------------------------------------------------------------- miri's result
miri_result() { # waits for the background miri run, prints its log, and returns its status
    local rc
    wait "$MIRI_PID"; rc=$?
    cat target/miri.log
    echo "(miri ran $((SECONDS - MIRI_T0))s in the background)"
    return $rc
}
if [ -n "${MIRI_PID:-}" ]; then
    step "$MIRI_NAME" miri_result
fi

# ---------------------------------------------------------------- summary
echo
echo "disk: target/ holds $(du -sm target 2>/dev/null | cut -f1) MiB; $(disk_free_mib) MiB free here"
if [ "${#FAILURES[@]}" -gt 0 ]; then printf 'failed: %s\n' "${FAILURES[@]}"; fi
echo "checks: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
