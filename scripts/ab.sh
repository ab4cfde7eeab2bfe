#!/usr/bin/env bash
# Before/after cost of one record, in ONE process: the working tree's
# perftrack against the one at REV (default HEAD), linked side by side into
# one small benchmark binary, timed in alternating blocks.
#
#   scripts/ab.sh [REV]
#
# The copy of REV is renamed `perftrack-base` so both can be linked at once.
# Prints each side's median ns per record over PERFTRACK_AB_ROUNDS rounds
# (default 15) and the ratio after/before. Record-path changes quote this.
# Then the same for a scope guard around nothing (`op.time()` dropped at
# once: the call-path stack, the path table and the record), which changes
# to the call paths quote. Then a `Timer::new(name)` recorded at once (the
# name's copy, the thread's recent-names lookup, the leaf path and the
# record), which changes to the timer quote. Then `Tracker::record` by name
# in a tracker of 256 operations, of the last of 200 names registered (the
# name's resolution and the record), which changes to resolution by name
# quote. Then the same for the last of 200 labelled series of one name,
# resolved by `operation_with_labels` (no thread remembers a labelled
# series: the registry's walk and the record). Then a snapshot: `summaries()` of 32 operations
# with records across six decades, which changes to the histogram quote.
# Then the contended (hot/cold) path: a thread that is not the shard's owner
# records on a shard another thread owns, which changes to that path quote.
# The two sides are not built alike (the old copy is renamed and loses its
# macros and lints), so the harness can favour one side by a few percent
# whatever the code: run `scripts/ab.sh HEAD` (the same code on both sides)
# beside an A/B run, and read an A/B ratio against that A/A one.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
root=$PWD
work=target/ab
rm -rf "$work/base" && mkdir -p "$work/base" "$work/bench/src"
git archive "$rev" | tar -x -C "$work/base"
# Only the library is needed from the old tree.
sed -i -e 's/^name = "perftrack"$/name = "perftrack-base"/' -e '/^\[workspace\]/,/^$/d' \
    -e '/^\[\[example\]\]/,/^$/d' -e '/^\[\[bench\]\]/,/^$/d' -e '/^\[dev-dependencies\]/,/^$/d' "$work/base/Cargo.toml"
sed -i 's/^workspace = true$/# workspace lints dropped/' "$work/base/Cargo.toml"
# The attribute macros are not measured, and two path crates named
# perftrack-macros cannot share one lockfile: the old copy drops them.
sed -i -e '/^perftrack-macros = /d' -e 's/^macros = \["std", "dep:perftrack-macros"\]$/macros = ["std"]/' \
    -e 's/^off = \["perftrack-macros?\/off"\]$/off = []/' -e 's/^default = \["std", "macros"\]$/default = ["std"]/' \
    "$work/base/Cargo.toml"
sed -i '/^\[lints\]$/d' "$work/base/Cargo.toml"
cat > "$work/bench/Cargo.toml" <<TOML
[package]
name = "perftrack-ab"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
after = { package = "perftrack", path = "$root" }
before = { package = "perftrack-base", path = "$root/$work/base" }

[profile.release]
debug = false
TOML
cat > "$work/bench/src/main.rs" <<'RS'
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: u64 = 20_000_000;

macro_rules! block {
    ($krate:ident) => {{
        static T: $krate::Tracker<4, 64, 8> = $krate::Tracker::new();
        let op = T.operation("ab").unwrap();
        let t0 = Instant::now();
        for i in 0..N {
            op.record(Duration::from_nanos(black_box(i) & 1023), 64);
        }
        let ns = t0.elapsed().as_nanos() as f64 / N as f64;
        assert!(op.summary().count >= N);
        ns
    }};
}

const G: u64 = 5_000_000;

macro_rules! guards {
    ($krate:ident) => {{
        static T: $krate::Tracker<4, 64, 8> = $krate::Tracker::new();
        let op = T.operation("guard").unwrap();
        let t0 = Instant::now();
        for _ in 0..G {
            drop(black_box(op.time()));
        }
        let ns = t0.elapsed().as_nanos() as f64 / G as f64;
        assert!(op.summary().count >= G);
        ns
    }};
}

macro_rules! timers {
    ($krate:ident) => {{
        static T: $krate::Tracker<4, 64, 8> = $krate::Tracker::new();
        let t0 = Instant::now();
        for _ in 0..G {
            black_box($krate::Timer::new("timer").record(&T).unwrap());
        }
        let ns = t0.elapsed().as_nanos() as f64 / G as f64;
        assert!(T.summary("timer").unwrap().count >= G);
        ns
    }};
}

const B: u64 = 200_000;

macro_rules! by_name {
    ($krate:ident) => {{
        // A tracker the size of the global one, with 200 names registered;
        // the last of them recorded by name.
        let t = $krate::Tracker::<256, 8, 8>::boxed();
        for k in 0..200 {
            t.operation(format!("module::function_{k}")).unwrap();
        }
        let t0 = Instant::now();
        for i in 0..B {
            t.record("module::function_199", Duration::from_nanos(black_box(i) & 1023), 0).unwrap();
        }
        let ns = t0.elapsed().as_nanos() as f64 / B as f64;
        assert_eq!(t.summary("module::function_199").unwrap().count, B);
        ns
    }};
}

macro_rules! by_labels {
    ($krate:ident) => {{
        // 200 labelled series of one name, in a tracker the size of the
        // global one; the last of them resolved by its labels and recorded.
        let t = $krate::Tracker::<256, 8, 8>::boxed();
        let routes: Vec<String> = (0..200).map(|k| format!("/api/v1/resource_{k}")).collect();
        for route in &routes {
            t.operation_with_labels("http_request", &[("route", route.as_str()), ("method", "GET")]).unwrap();
        }
        let last = [("route", routes[199].as_str()), ("method", "GET")];
        let t0 = Instant::now();
        for i in 0..B {
            t.operation_with_labels("http_request", &last).unwrap().record(Duration::from_nanos(black_box(i) & 1023), 0);
        }
        let ns = t0.elapsed().as_nanos() as f64 / B as f64;
        assert_eq!(t.operation_with_labels("http_request", &last).unwrap().summary().count, B);
        ns
    }};
}

const S: u64 = 2_000;

macro_rules! snapshots {
    ($krate:ident) => {{
        static T: $krate::Tracker<32, 64, 8> = $krate::Tracker::new();
        static FILLED: std::sync::Once = std::sync::Once::new();
        FILLED.call_once(|| {
            for k in 0..32u64 {
                let op = T.operation(format!("op{k}")).unwrap();
                for i in 0..2_000u64 {
                    op.record(Duration::from_nanos(((i * 7919 + k) % 1_000_003) * (1 + i % 997)), 64);
                }
            }
        });
        let t0 = Instant::now();
        let mut n = 0u64;
        for _ in 0..S {
            for s in T.summaries() {
                n = n.wrapping_add(black_box(s).count);
            }
        }
        let us = t0.elapsed().as_nanos() as f64 / S as f64 / 1e3;
        assert_eq!(n, S * 32 * 2_000);
        us
    }};
}

const C: u64 = 5_000_000;

macro_rules! contended {
    ($krate:ident) => {{
        // One shard, owned by the main thread (its first record marks it);
        // the timed thread holds another token, so it records on the
        // contended path.
        static T: $krate::Tracker<4, 64, 1> = $krate::Tracker::new();
        let op = T.operation("contended").unwrap();
        op.record(Duration::from_nanos(1), 0);
        std::thread::scope(|s| {
            s.spawn(|| {
                let t0 = Instant::now();
                for i in 0..C {
                    op.record(Duration::from_nanos(black_box(i) & 1023), 64);
                }
                t0.elapsed().as_nanos() as f64 / C as f64
            })
            .join()
            .unwrap()
        })
    }};
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("PERFTRACK_AB_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    // Each measurement: `rounds` rounds, the two sides alternating which
    // goes first, so drift hits both alike; the medians of each side and of
    // the per-round ratios.
    let ab = |what: &str, unit: &str, before: &dyn Fn() -> f64, after: &dyn Fn() -> f64| {
        let (mut b, mut a, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..rounds {
            let (x, y) = if i % 2 == 0 { (before(), after()) } else { let y = after(); (before(), y) };
            b.push(x);
            a.push(y);
            r.push(y / x);
        }
        println!("{what}, {rounds} rounds each side (same process):");
        println!("  before ({}): {:.2} {unit} (median)", std::env::var("AB_REV").unwrap_or_default(), median(&mut b));
        println!("  after  (working tree): {:.2} {unit} (median)", median(&mut a));
        println!("  after/before: {:.3} (median of per-round ratios)", median(&mut r));
    };
    ab(&format!("Operation::record, 1 thread, {N} records a round"), "ns/record", &|| block!(before), &|| block!(after));
    ab(&format!("ScopeGuard (op.time(), dropped at once), 1 thread, {G} guards a round"), "ns/guard", &|| guards!(before), &|| {
        guards!(after)
    });
    ab(&format!("Timer::new -> record (by name), 1 thread, {G} timers a round"), "ns/timer", &|| timers!(before), &|| {
        timers!(after)
    });
    ab(&format!("Tracker::record by name, the last of 200 names, {B} records a round"), "ns/record", &|| by_name!(before), &|| {
        by_name!(after)
    });
    ab(
        &format!("operation_with_labels -> record, the last of 200 labelled series of one name, {B} records a round"),
        "ns/record",
        &|| by_labels!(before),
        &|| by_labels!(after),
    );
    ab(&format!("summaries() of 32 operations, 8 shards, 1 thread, {S} a round"), "µs", &|| snapshots!(before), &|| {
        snapshots!(after)
    });
    ab(
        &format!("contended record (a non-owner on an owned shard: hot/cold), {C} records a round"),
        "ns/record",
        &|| contended!(before),
        &|| contended!(after),
    );
}
RS
cd "$work/bench"
cargo build --release --quiet 2>/dev/null || cargo build --release
AB_REV=$(git -C "$root" rev-parse --short "$rev") ./target/release/perftrack-ab
