//! Single-thread cost of one record: perftrack's resolved `Operation::record`
//! beside the peers, in the same process and run (DESIGN.md, "Numbers to reach").
//!
//! `scripts/bench.sh` runs this and prints the medians as ratios to the
//! cheapest peer.

use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::sync::Mutex;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use perftrack::Tracker;

/// Durations 0..1023 ns, as in the peer baselines.
fn next(i: &mut u64) -> u64 {
    *i = i.wrapping_add(1);
    *i & 1023
}

fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("record");

    let tracker: Tracker<4, 64, 8> = Tracker::new();
    let op = tracker.operation("bench").unwrap();
    let mut i = 0;
    g.bench_function("perftrack Operation::record", |b| {
        b.iter(|| op.record(Duration::from_nanos(black_box(next(&mut i))), 64));
        // A bench that measured a no-op would prove nothing.
        assert!(op.summary().count > 0);
    });

    let bucket = metrics_util::storage::AtomicBucket::new();
    let mut i = 0;
    g.bench_function("metrics-util AtomicBucket::push", |b| b.iter(|| bucket.push(black_box(next(&mut i)))));

    let hist = prometheus_client::metrics::histogram::Histogram::new(
        prometheus_client::metrics::histogram::exponential_buckets(1.0, 2.0, 11),
    );
    let mut i = 0;
    g.bench_function("prometheus-client Histogram::observe", |b| {
        b.iter(|| hist.observe(black_box(next(&mut i)) as f64))
    });

    let hdr = Mutex::new(hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1 << 40, 3).unwrap());
    let mut i = 0;
    g.bench_function("Mutex<hdrhistogram::Histogram>::record", |b| {
        b.iter(|| {
            let _ = hdr.lock().unwrap().record(black_box(next(&mut i)));
        })
    });

    let counter = AtomicU64::new(0);
    let mut i = 0;
    g.bench_function("AtomicU64::fetch_add", |b| {
        b.iter(|| counter.fetch_add(black_box(next(&mut i)), Ordering::Relaxed))
    });

    g.finish();
}

/// Timer start -> stop -> record, beside the floor it is judged against: two
/// `Instant::now()` reads and one `Tracker::record` by name.
fn timer(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer");
    let tracker: Tracker<4, 64, 8> = Tracker::new();
    tracker.record("timed", Duration::ZERO, 0).unwrap();
    g.bench_function("Timer::new -> record", |b| {
        b.iter(|| perftrack::Timer::new(black_box("timed")).record(&tracker).unwrap())
    });
    g.bench_function("two Instant::now + Tracker::record", |b| {
        b.iter(|| {
            let t0 = Instant::now();
            let d = Instant::now().duration_since(t0);
            tracker.record(black_box("timed"), d, 0).unwrap();
            d
        })
    });
    g.finish();
}

/// VmRSS from /proc/self/status, opened, read and parsed each time: the usual way.
fn status_vm_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

fn memory(c: &mut Criterion) {
    let mut g = c.benchmark_group("memory");
    assert!(perftrack::estimate_memory_usage() > 0);
    g.bench_function("perftrack estimate_memory_usage (pread statm)", |b| b.iter(perftrack::estimate_memory_usage));
    g.bench_function("read + parse /proc/self/status VmRSS", |b| b.iter(status_vm_rss));
    g.finish();
}

/// One guard's open and close, flat and with two guards of the same tracker
/// open around it (the path table's lookup and the parent's bookkeeping):
/// the target is at most 1.3× the flat guard.
fn guard(c: &mut Criterion) {
    let mut g = c.benchmark_group("guard");
    let tracker: Tracker<4, 64, 8> = Tracker::new();
    let (outer, middle, leaf) =
        (tracker.operation("outer").unwrap(), tracker.operation("middle").unwrap(), tracker.operation("leaf").unwrap());
    g.bench_function("ScopeGuard, flat (baseline)", |b| b.iter(|| drop(black_box(leaf.time()))));
    {
        let _o = outer.time();
        let _m = middle.time();
        g.bench_function("perftrack ScopeGuard at depth 3", |b| b.iter(|| drop(black_box(leaf.time()))));
    }
    g.finish();
    assert!(tracker.untracked_paths() == 0, "every guard had a path");
}

/// One span's life (new, enter, exit, close) under tracing's `Registry`
/// alone, with perftrack's layer on it, and under tracing-timing's
/// subscriber. tracing-timing times the events inside spans; a span with
/// none costs it only its bookkeeping.
fn tracing_span(c: &mut Criterion) {
    use tracing_subscriber::layer::SubscriberExt;
    static TRACKER: perftrack::PerformanceTracker = perftrack::PerformanceTracker::new();
    let mut g = c.benchmark_group("tracing");
    let span = || tracing::info_span!("work").in_scope(|| black_box(1));
    tracing::subscriber::with_default(tracing_subscriber::registry(), || {
        g.bench_function("tracing Registry alone (baseline)", |b| b.iter(span));
    });
    tracing::subscriber::with_default(
        tracing_subscriber::registry().with(perftrack::integrations::PerftrackLayer::new(&TRACKER)),
        || g.bench_function("perftrack PerftrackLayer on the Registry", |b| b.iter(span)),
    );
    // (No "work" operation at all when a filter skipped the bench.)
    let work = TRACKER.summaries().find(|s| s.name.ends_with("::work"));
    assert!(work.is_none_or(|s| s.count > 0), "the layer registered spans but recorded none");
    let timing =
        tracing_timing::Builder::default().build(|| tracing_timing::Histogram::new_with_max(1_000_000_000, 2).unwrap());
    tracing::subscriber::with_default(timing, || {
        g.bench_function("tracing-timing TimingSubscriber", |b| b.iter(span));
    });
    g.finish();
}

criterion_group!(benches, record, timer, memory, guard, tracing_span);
criterion_main!(benches);
